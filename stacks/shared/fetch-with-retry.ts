import * as pulumi from '@pulumi/pulumi';

/*
 * HTTP calls a target makes itself, outside any provider (the aks target's ACR token exchange and
 * its system pool upgrade), on every `pulumi preview` and `up`: a dropped connection or a 503 from
 * one of them must not fail the whole run with a stack trace, so each is retried with backoff and
 * a per-attempt timeout, and a failure says what was being fetched and why.
 */

export interface RetryPolicy {
  /** Tries in all, the first one included. */
  attempts: number;
  /** How long one try may take before it is given up (and retried). */
  timeoutMs: number;
  /** The wait before the second try; it doubles before each further one. */
  firstDelayMs: number;
}

/** Four tries over about 7 s of waiting, each given 30 s: outlasts a brief outage, not a long one. */
export const defaultRetryPolicy: RetryPolicy = { attempts: 4, timeoutMs: 30_000, firstDelayMs: 1_000 };

/** Throttling and the server's own failures, which another try may not meet. */
function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** What `Retry-After` asks for, in milliseconds (seconds only; dates are not worth parsing here). */
function retryAfterMs(response: Response): number {
  const seconds = Number(response.headers.get('retry-after'));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Why a try threw: its timeout, or the network error (which `fetch` puts in `cause`). */
function failureReason(error: unknown, policy: RetryPolicy): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return `no answer within ${policy.timeoutMs / 1000} s`;
  return error.cause instanceof Error ? String(error.cause) : error.message;
}

/**
 * `fetch`, tried again on a network error, a timeout or a transient status. Answers the response
 * of the first try that is not transient (a 401 too: the caller says what it means); after the
 * last try fails, throws a RunError naming `what`, the URL, the tries and the last reason.
 */
export async function fetchWithRetry(what: string, url: string, init: RequestInit, policy = defaultRetryPolicy): Promise<Response> {
  let reason = '';
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    let wait = policy.firstDelayMs * 2 ** (attempt - 1);
    try {
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(policy.timeoutMs) });
      if (!isTransientStatus(response.status)) return response;
      reason = `HTTP ${response.status}`;
      wait = Math.max(wait, retryAfterMs(response));
    } catch (error) {
      reason = failureReason(error, policy);
    }
    if (attempt < policy.attempts) await sleep(wait);
  }
  throw new pulumi.RunError(
    `Could not ${what} (${url}): ${policy.attempts} tries failed, the last with ${reason}. Run it again once the service answers.`,
  );
}
