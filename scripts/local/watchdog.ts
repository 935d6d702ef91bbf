/**
 * The local run's watchdog: a process of its own (own process group, so a signal meant for the
 * run's group, even SIGKILL, does not reach it) that ends the run's children when the run itself
 * ends without stopping them, SIGKILL included. Neither Node (no PR_SET_PDEATHSIG) nor nginx's
 * masters can notice their parent's death by themselves; this can: its stdin is a pipe from the
 * run, and the kernel closes the pipe when the run ends, however it ends.
 *
 * On stdin, one line per event: `+<pid>` a child started (its own process group), `-<pid>` it
 * ended. At end of input: SIGTERM to each group still listed, SIGKILL to those still there after
 * the grace time, then the run's folder (argv[2]) is removed. Usage: watchdog.ts <run folder>.
 */
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { eventually } from '../toolkit/eventually.js';

/** Long enough for nginx's fast shutdown and an idle books process; short enough to free the ports within 2 s. */
const graceMs = 1200;

const runFolder = process.argv[2];
const groups = new Set<number>();

/** Sends `signal` (0: none, only asks whether the group still exists) to a child's process group. */
function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    // ESRCH: the group has ended.
    return false;
  }
}

async function endChildren(): Promise<void> {
  for (const pid of groups) signalGroup(pid, 'SIGTERM');
  // A group that outlasts the grace time is killed below: the wait's end is no failure.
  await eventually('the children end', () => ![...groups].some((pid) => signalGroup(pid, 0)), graceMs, 50).catch(() => undefined);
  for (const pid of groups) signalGroup(pid, 'SIGKILL');
  // A process still ending may write into the folder while it goes (PostgreSQL's background
  // processes, each a group of its own, finish after their postmaster): a removal that finds a
  // folder filled meanwhile is tried again.
  if (runFolder) rmSync(runFolder, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
}

createInterface({ input: process.stdin })
  .on('line', (line) => {
    const pid = Number(line.slice(1));
    if (!Number.isInteger(pid) || pid <= 1) return;
    if (line.startsWith('+')) groups.add(pid);
    else if (line.startsWith('-')) groups.delete(pid);
  })
  .on('close', () => {
    void endChildren().then(() => process.exit(0));
  });
