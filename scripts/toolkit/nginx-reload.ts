/**
 * Reloading a running nginx and waiting until the new configuration alone answers: SIGHUP only
 * asks nginx to reload. It starts new workers while the old ones keep answering, and until the
 * master has told the old ones to shut down they share the listening sockets with the new.
 */
import { execFile } from 'node:child_process';
import { get } from 'node:http';
import { promisify } from 'node:util';
import { eventually } from './eventually.js';
import type { ManagedProcess } from './managed-process.js';
import { UserError } from './user-error.js';

const execFileAsync = promisify(execFile);

/** How long each step of a reload may take. */
const reloadTimeoutMs = 10_000;

/** Every process's id, parent's id and title (`nginx: worker process`), from `ps`. */
async function processTable(): Promise<Array<{ pid: number; ppid: number; title: string }>> {
  const { stdout } = await execFileAsync('ps', ['-A', '-o', 'pid=,ppid=,args=']);
  return stdout.split('\n').flatMap((line) => {
    const match = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    return match ? [{ pid: Number(match[1]), ppid: Number(match[2]), title: match[3] ?? '' }] : [];
  });
}

/** The `config` the health endpoint reports, over a new connection (a pooled one may be an old worker's). */
function reportedConfigVersion(healthUrl: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const request = get(healthUrl, { agent: false, timeout: 2000 }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        const parsed: unknown = JSON.parse(body);
        const config = typeof parsed === 'object' && parsed !== null && 'config' in parsed ? parsed.config : undefined;
        resolvePromise(String(config));
      });
    });
    request.on('timeout', () => request.destroy(new Error('health check timed out')));
    request.on('error', reject);
  });
}

/**
 * Sends SIGHUP to the nginx master `managed` and resolves once a new connection to `healthUrl`
 * is answered by the configuration `version` and none of the workers it ran before accepts
 * connections any more (each has exited or titles itself "shutting down").
 */
export async function reloadNginx(managed: ManagedProcess, healthUrl: string, version: string): Promise<void> {
  const oldWorkers = new Set((await processTable()).filter(({ ppid }) => ppid === managed.pid).map(({ pid }) => pid));
  managed.signal('SIGHUP');
  let seen = 'no answer';
  await eventually(
    `the gateway runs configuration ${version}`,
    async () => (seen = await reportedConfigVersion(healthUrl).catch((error: Error) => error.message)) === version,
    reloadTimeoutMs,
    25,
    () => new UserError(`the gateway still runs configuration ${seen}, not ${version}, ${reloadTimeoutMs / 1000} s after the reload`),
  );
  await eventually(
    "nginx's old workers stop accepting connections",
    async () => !(await processTable()).some(({ pid, title }) => oldWorkers.has(pid) && !/shutting down/.test(title)),
    reloadTimeoutMs,
    25,
    () => new UserError(`nginx's old workers still accept connections ${reloadTimeoutMs / 1000} s after the reload`),
  );
}
