/**
 * CPU time a server spent, from /proc: user plus system time of its main process and of its
 * children (nginx's workers), all threads included (HAProxy's, Caddy's). Read before and after
 * a load run, the difference over the requests served is the server's CPU cost per request.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second of the times in /proc/<pid>/stat (USER_HZ, nearly always 100). */
const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

interface ProcessTimes {
  parent: number;
  ticks: number;
}

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
function readTimes(pid: string): ProcessTimes | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // ended meanwhile
  }
  // After ") ": state, ppid, ... utime is field 14 of the line, stime 15 (proc(5)).
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { parent: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
}

/** Seconds of CPU used so far by `pid` and its direct children. */
export function processTreeCpuSeconds(pid: number): number {
  let ticks = readTimes(String(pid))?.ticks ?? 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const times = readTimes(entry);
    if (times?.parent === pid) ticks += times.ticks;
  }
  return ticks / ticksPerSecond;
}
