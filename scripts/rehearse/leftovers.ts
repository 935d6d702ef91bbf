/**
 * What earlier rehearsals left when their process died without cleaning up (SIGKILL, a crash):
 * their containers and networks (found by the run label, judged by the pid label) and their run
 * folder with its DNS server. A live rehearsal's are left alone.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ClusterDns } from './cluster-dns.js';
import { docker, dockerLines } from './docker.js';
import { pidLabel, runLabel } from './rehearsal-labels.js';

/** Where each run keeps its files: `<tmp>/books-gateway-rehearse/<run id>`, with a `pid` file. */
export const runsFolder = path.join(os.tmpdir(), 'books-gateway-rehearse');

export function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Labels of the form `id pid`, for containers or networks. */
async function deadObjects(kind: 'container' | 'network'): Promise<string[]> {
  const list = kind === 'container' ? ['ps', '--all'] : ['network', 'ls'];
  const lines = await dockerLines([...list, '--filter', `label=${runLabel}`, '--format', `{{.ID}} {{.Label "${pidLabel}"}}`]);
  return lines.map((line) => line.split(' ')).filter(([, pid]) => !alive(Number(pid))).map(([id]) => id!);
}

function readPid(file: string): number {
  try {
    return Number(readFileSync(file, 'utf8').trim());
  } catch {
    return 0;
  }
}

/** Removes the leftovers of dead runs; returns how many containers it removed. */
export async function removeLeftovers(): Promise<number> {
  const containers = await deadObjects('container');
  if (containers.length) await docker(['rm', '--force', '--volumes', ...containers]);
  const networks = await deadObjects('network');
  if (networks.length) await docker(['network', 'rm', ...networks]).catch(() => undefined);
  let runs: string[] = [];
  try {
    // Run folders only: the sockets beside them belong to live rehearsals (a dead one's is replaced by the next).
    runs = readdirSync(runsFolder, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch {
    runs = [];
  }
  for (const run of runs) {
    const folder = path.join(runsFolder, run);
    if (alive(readPid(path.join(folder, 'pid')))) continue;
    const dnsPid = readPid(ClusterDns.pidFile(folder));
    // Only a dnsmasq this run started: its pid file is the run's own.
    if (alive(dnsPid) && readFileSync(`/proc/${dnsPid}/comm`, 'utf8').trim() === 'dnsmasq') process.kill(dnsPid, 'SIGTERM');
    rmSync(folder, { recursive: true, force: true });
  }
  return containers.length;
}
