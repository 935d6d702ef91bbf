import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `check` every `intervalMs` (100 ms by default) until it holds; fails, naming `what`, after
 * `timeoutMs`. Ten checks a second stay below the gateway's default per-client rate limit (20/s),
 * which tests that poll through the gateway must not use up; a check that starts a process (kubectl)
 * polls less often.
 */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10000, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(intervalMs);
  }
}
