import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `check` every `intervalMs` (100 ms by default) until it holds; fails, naming `what`, after
 * `timeoutMs`, or with `timedOut()` where the caller has more to say (a process's last output).
 * A check that throws ends the wait with its error: a process that ended will never listen.
 * Ten checks a second stay below the gateway's default per-client rate limit (20/s), which tests
 * that poll through the gateway must not use up; a check that starts a process (kubectl) polls
 * less often.
 */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10000,
  intervalMs = 100,
  timedOut: () => Error = () => new Error(`${what}: not within ${timeoutMs / 1000} s`),
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw timedOut();
    await sleep(intervalMs);
  }
}
