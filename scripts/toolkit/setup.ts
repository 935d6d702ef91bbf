import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { UserError } from './user-error.js';

const repoRoot = join(__dirname, '..', '..');

/** A build that can be cancelled (a signal while building), with everything it started. */
export interface BuildStep {
  readonly done: Promise<void>;
  cancel(): void;
}

/**
 * What a command needs before it starts, once its options are checked (so that `--help` answers
 * at once): the Debian packages scripts/system-deps.sh checks for `packages` (its option: none
 * for the local run's, `--bench`, `--cluster`...), then `npm run build` unless `build` is false.
 * Their output goes to stderr, so stdout stays the command's own. Each runs in its own process
 * group, so that cancelling ends the compilers it started too.
 */
export function runSetup(packages: string[], build = true): BuildStep {
  let current: number | undefined;
  let cancelled = false;
  const step = async (command: string, args: string[]): Promise<void> => {
    if (cancelled) return;
    const child = spawn(command, args, { cwd: repoRoot, stdio: ['ignore', 2, 2], detached: true });
    current = child.pid;
    const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    current = undefined;
    if (!cancelled && code !== 0) {
      throw new UserError(`${[command, ...args].join(' ')} failed (${signal ?? `exit code ${code}`}); see its output above`);
    }
  };
  const done = (async () => {
    await step('bash', ['scripts/system-deps.sh', ...packages]);
    if (build) await step('npm', ['run', 'build']);
  })();
  return {
    done,
    cancel() {
      cancelled = true;
      if (current !== undefined) {
        try {
          process.kill(-current, 'SIGTERM');
        } catch {
          // ESRCH: it has just ended.
        }
      }
    },
  };
}
