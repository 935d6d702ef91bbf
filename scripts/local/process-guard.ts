import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { ProcessGuard } from '../toolkit/managed-process.js';

/** The watchdog of one run (see watchdog.ts), which ends its children if the run dies first. */
export interface Watchdog extends ProcessGuard {
  /** The run has stopped its children itself: the watchdog removes the run folder and exits. */
  close(): Promise<void>;
}

/**
 * Starts the watchdog for the run whose folder is `runFolder`. It runs this very Node with the
 * same loader flags (tsx), in its own process group.
 * `onLost` is called if it ends while the run goes on: the run can no longer promise to clean up.
 */
export function startWatchdog(runFolder: string, onLost: (description: string) => void): Watchdog {
  const child: ChildProcess = spawn(process.execPath, [...process.execArgv, join(__dirname, 'watchdog.ts'), runFolder], {
    stdio: ['pipe', 'ignore', 'inherit'],
    detached: true,
  });
  const { stdin } = child;
  if (!stdin) throw new Error('the watchdog has no stdin pipe');
  let closing = false;
  const exited = once(child, 'close');
  void exited.then(([code, signal]) => {
    if (!closing) onLost(`the watchdog ended (${signal ? `killed by ${String(signal)}` : `exit code ${String(code)}`})`);
  });
  // A write after the watchdog died fails with EPIPE: onLost above has already said so.
  stdin.on('error', () => undefined);
  const send = (line: string): void => {
    if (!closing) stdin.write(`${line}\n`);
  };
  return {
    watch: (pid) => send(`+${pid}`),
    release: (pid) => send(`-${pid}`),
    async close() {
      if (closing) return;
      closing = true;
      stdin.end();
      if (child.exitCode === null && child.signalCode === null) await exited;
    },
  };
}
