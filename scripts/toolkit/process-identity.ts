import { readFileSync } from 'node:fs';

/** A process, told apart from a later one that reuses its pid by its start time. */
export interface ProcessIdentity {
  pid: number;
  /** Clock ticks after boot (`/proc/<pid>/stat` field 22), `null` where /proc is missing. */
  startTime: string | null;
}

function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces: state is field 3.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** The identity of a running process (this one by default). */
export function identify(pid: number = process.pid): ProcessIdentity {
  return { pid, startTime: startTimeOf(pid) };
}

/** Whether that very process still runs: the one liveness rule of every command's run folder. */
export function isRunning({ pid, startTime }: ProcessIdentity): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it runs, as another user.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return startTime === null || startTimeOf(pid) === startTime;
}
