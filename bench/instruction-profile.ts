/**
 * `npm run bench -- --sections profile`: the user-space instructions the gateway executes per
 * GET /books as rendered, with auth on, and with each of its features turned off alone (the
 * tuning variants named `-feature`), and HAProxy's for the same job; counted by valgrind's
 * callgrind, one nginx worker (one HAProxy thread), one keepalive connection, in front of the
 * memory backends. Unlike time, the count does not move with the machine's load (±0.1k from run
 * to run), so it tells apart changes of a few percent that the load tables cannot; it does not
 * count the kernel's work, nor what memory costs (a fresh page per request counts as one store).
 * The gateway is rendered without the full metrics: their fold runs on a timer, so its work would
 * grow with how long a run takes, not with its requests (`--sections metrics` measures them).
 *
 * Per request: two runs, of `low` and of `high` requests, and the difference of their totals
 * over the difference of their counts, which takes out starting and stopping.
 */
import { Agent, request } from 'node:http';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nginxCommandLine } from '../apps/gateway/src/index.js';
import type { NginxLauncher } from '../scripts/toolkit/gateway-nginx.js';
import { ManagedProcess } from '../scripts/toolkit/managed-process.js';
import { hostNginx } from '../scripts/toolkit/nginx-launchers.js';
import type { NginxBuild } from '../scripts/toolkit/nginx.js';
import { freePort, freePorts, waitUntilListening } from '../scripts/toolkit/ports.js';
import { type GatewayVariant, loadGeneratorRateLimit, prepareGatewayVariant } from './configurations.js';
import { reportExitDuringBench } from './nginx-server.js';
import { accessLogFile, haproxyConfig } from './peer-configs.js';
import { haproxyCommand } from './peer-server.js';
import { table } from './report.js';

/** Requests of the two runs of each count. */
export interface ProfilePlan {
  low: number;
  high: number;
}

export interface InstructionCount {
  /** A gateway variant's name, or `haproxy`. */
  target: string;
  perRequest: number;
}

/** A case to count: a gateway variant, and the headers each of its requests carries. */
export interface ProfileCase {
  variant: GatewayVariant;
  headers?: Record<string, string>;
}

/** valgrind running callgrind on a command; each process (nginx's workers too) writes its own file into `outDir`. */
function callgrind(outDir: string): [command: string, args: string[]] {
  // Children traced: the stand-in's nginx is a script that execs the image's loader.
  return ['valgrind', ['--tool=callgrind', '--trace-children=yes', '-q', `--callgrind-out-file=${join(outDir, 'callgrind.%p')}`]];
}

/**
 * The instructions the processes counted into `outDir` executed, summed; at least `processes`
 * files, each complete (a process killed before callgrind wrote its count leaves none).
 */
async function totalInstructions(outDir: string, processes: number): Promise<number> {
  const files = await readdir(outDir);
  if (files.length < processes)
    throw new Error(`callgrind wrote ${files.length} counts into ${outDir}, not one per process (${processes})`);
  let total = 0;
  for (const file of files) {
    const summary = /^(?:summary|totals): (\d+)$/m.exec(await readFile(join(outDir, file), 'utf8'));
    if (!summary?.[1]) throw new Error(`${join(outDir, file)} has no callgrind total`);
    total += Number(summary[1]);
  }
  return total;
}

/** A folder callgrind's processes write into, nginx's workers too (another user when the master runs as root). */
async function countsFolder(parent: string): Promise<string> {
  const outDir = join(parent, 'callgrind');
  await mkdir(outDir);
  await chmod(outDir, 0o1777);
  return outDir;
}

/** `count` GET /books one after the other on one keepalive connection; each must be a 200. */
async function sequentialGets(port: number, count: number, headers: Record<string, string> = {}): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let sent = 0; sent < count; sent += 1) {
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/books', agent, headers }, (res) => {
          res.resume().on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`GET /books answered ${res.statusCode}`))));
        });
        req.on('error', reject).end();
      });
    }
  } finally {
    agent.destroy();
  }
}

/** The host's nginx of `build`, run under callgrind. */
function callgrindNginx(build: NginxBuild, outDir: string): NginxLauncher {
  const [command, args] = callgrind(outDir);
  return {
    ...hostNginx(build),
    process: ({ name, folder, listeners }) =>
      new ManagedProcess(
        { name, command, args: [...args, build.binary, ...nginxCommandLine({ configDir: folder }).slice(1)] },
        listeners.onOutput,
        listeners.onUnexpectedExit,
        listeners.guard,
      ),
  };
}

/**
 * Stops `stop` when `signal` aborts (the bench's Ctrl-C) while `work` runs, and in any case once
 * it is done; the same stop either way, awaited.
 */
async function stoppedAfter(signal: AbortSignal, stop: () => Promise<void>, work: () => Promise<void>): Promise<void> {
  let stopping: Promise<void> | undefined;
  const stopOnce = () => (stopping ??= stop());
  // The stop's end is awaited below, in `finally`, once the work has failed on it.
  const onAbort = () => void stopOnce();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    signal.throwIfAborted();
    await work();
  } finally {
    signal.removeEventListener('abort', onAbort);
    await stopOnce();
  }
}

/** nginx's master and its one worker. */
const nginxProcesses = 2;

async function countGateway(
  build: NginxBuild,
  profileCase: ProfileCase,
  backends: readonly number[],
  requests: number,
  signal: AbortSignal,
): Promise<number> {
  signal.throwIfAborted();
  const folder = await mkdtemp(join(tmpdir(), 'books-gateway-profile-'));
  try {
    // Readable by nginx's workers, which run as `nobody` when the master runs as root.
    await chmod(folder, 0o755);
    const outDir = await countsFolder(folder);
    const [listen, status] = (await freePorts(2)) as [number, number];
    const { variant } = profileCase;
    const gateway = await prepareGatewayVariant(
      { ...variant, platform: { ...variant.platform, workerProcesses: 1, fullMetrics: false } },
      join(folder, 'gateway'),
      { listen, status },
      { books: backends, booksReact: backends[0] ?? 0 },
      callgrindNginx(build, outDir),
    );
    await stoppedAfter(
      signal,
      () => gateway.stop(),
      async () => {
        await gateway.start();
        await sequentialGets(listen, requests, profileCase.headers);
      },
    );
    return await totalInstructions(outDir, nginxProcesses);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** HAProxy with the bench's configuration of it, one thread, under callgrind. */
async function countHaproxy(backends: readonly number[], requests: number, signal: AbortSignal): Promise<number> {
  signal.throwIfAborted();
  const folder = await mkdtemp(join(tmpdir(), 'books-gateway-profile-haproxy-'));
  try {
    const outDir = await countsFolder(folder);
    const runDir = join(folder, 'run');
    await mkdir(runDir);
    const port = await freePort();
    const config = join(folder, 'haproxy.cfg');
    const input = {
      listenPort: port,
      books: backends,
      booksReact: backends[0] ?? 0,
      workers: 1,
      runDir,
      rateLimit: loadGeneratorRateLimit,
    };
    await writeFile(config, haproxyConfig(input));
    const [valgrind, valgrindArgs] = callgrind(outDir);
    const [command, args] = haproxyCommand(config, accessLogFile(runDir), [valgrind, ...valgrindArgs]);
    const managed = new ManagedProcess({ name: 'haproxy under callgrind', command, args }, () => undefined, reportExitDuringBench);
    await stoppedAfter(
      signal,
      () => managed.stop(),
      async () => {
        managed.start();
        await waitUntilListening(managed, '127.0.0.1', port);
        await sequentialGets(port, requests);
      },
    );
    return await totalInstructions(outDir, 1);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

async function perRequest(plan: ProfilePlan, count: (requests: number) => Promise<number>): Promise<number> {
  const low = await count(plan.low);
  const high = await count(plan.high);
  return (high - low) / (plan.high - plan.low);
}

/**
 * Each case on `build`, then HAProxy, in front of the memory backends on `backends`. When
 * `signal` aborts, the server being counted is stopped and its folder removed before the
 * returned promise rejects.
 */
export async function profileInstructions(
  build: NginxBuild,
  cases: readonly ProfileCase[],
  backends: readonly number[],
  plan: ProfilePlan,
  log: (line: string) => void,
  signal: AbortSignal = new AbortController().signal,
): Promise<InstructionCount[]> {
  const counts: InstructionCount[] = [];
  for (const profileCase of cases) {
    const target = profileCase.variant.name;
    counts.push({ target, perRequest: await perRequest(plan, (requests) => countGateway(build, profileCase, backends, requests, signal)) });
    log(`profile: ${target} ${(counts.at(-1)?.perRequest ?? 0).toFixed(0)} instructions per request`);
  }
  counts.push({ target: 'haproxy', perRequest: await perRequest(plan, (requests) => countHaproxy(backends, requests, signal)) });
  return counts;
}

/** Instructions per request of each case, and what each differs by from the first (the default). */
export function profileTable(counts: readonly InstructionCount[]): string {
  const [first] = counts;
  const thousands = (value: number) => `${(value / 1000).toFixed(1)}k`;
  return table(
    ['case', 'instructions/request', 'against the first'],
    counts.map(({ target, perRequest }) => [
      target,
      thousands(perRequest),
      first === undefined || target === first.target
        ? ''
        : `${perRequest >= first.perRequest ? '+' : '-'}${thousands(Math.abs(perRequest - first.perRequest))}`,
    ]),
  );
}
