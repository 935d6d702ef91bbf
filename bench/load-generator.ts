/**
 * Drives a fixed load at one URL and reports what the client saw. `wrk` (a C program) is used
 * when installed: on a 2-core machine the load generator shares the cores with what it measures,
 * and one written in JavaScript takes a large share of them. autocannon is the fallback.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface LoadSpec {
  url: string;
  /** Concurrent keep-alive connections. */
  connections: number;
  durationSeconds: number;
  headers?: Record<string, string>;
  /** Loopback ports to spread the connections over (one per wrk thread) instead of the URL's. */
  spreadPorts?: readonly number[];
  /** POSTs of new books to the URL, each followed by a GET of the book created, instead of GETs. */
  writes?: boolean;
}

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Responses with an error status plus socket errors and timeouts. */
  errors: number;
  requests: number;
  /** Response bytes on the wire per request, headers included. */
  bytesPerRequest: number;
}

export interface LoadGenerator {
  readonly name: 'wrk' | 'autocannon';
  /** How the generator drives load, for the report. */
  readonly description: string;
  drive(spec: LoadSpec): Promise<LoadResult>;
}

const repoRoot = join(__dirname, '..');
const wrkReportScript = join(__dirname, 'wrk-report.lua');
/** A request taking longer than this counts as an error (a timeout) rather than stalling the run. */
const requestTimeoutSeconds = 5;

function onPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    try {
      accessSync(join(dir, binary), constants.X_OK);
      return join(dir, binary);
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/** wrk if installed, else the project's autocannon. */
export function chooseLoadGenerator(): LoadGenerator {
  const wrk = onPath('wrk');
  return wrk ? wrkGenerator(wrk) : autocannonGenerator(join(repoRoot, 'node_modules/.bin/autocannon'));
}

interface WrkReport {
  requests: number;
  durationUs: number;
  bytes: number;
  connectErrors: number;
  readErrors: number;
  writeErrors: number;
  statusErrors: number;
  timeouts: number;
  p50Us: number;
  p99Us: number;
}

/**
 * Two threads for every case (one with a single connection): the direct case needs one per
 * backend to spread over both, and every other case gets the same load generator.
 */
const wrkThreads = 2;

/**
 * The nine leading digits of the first ISBN-10 a writing run creates: each run takes a range of
 * its own, above the six seed books' (which start with 1), so no create in a bench answers 409.
 */
const firstWriteIds = 200_000_000;
const writeIdsPerRun = wrkThreads * 1_000_000;

function wrkGenerator(binary: string): LoadGenerator {
  let writingRuns = 0;
  return {
    name: 'wrk',
    description: `wrk, ${wrkThreads} threads (1 at 1 connection), the connections split between them; API direct: each thread on its own books process`,
    async drive({ url, connections, durationSeconds, headers = {}, spreadPorts = [], writes = false }) {
      const headerArgs = Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]);
      const threads = Math.min(wrkThreads, connections);
      const args = [
        `-t${threads}`,
        `-c${connections}`,
        `-d${durationSeconds}s`,
        `--timeout`,
        `${requestTimeoutSeconds}s`,
        '-s',
        wrkReportScript,
        ...headerArgs,
        url,
      ];
      const env = {
        ...process.env,
        BENCH_SPREAD_PORTS: spreadPorts.join(','),
        BENCH_WRITE_IDS: writes ? String(firstWriteIds + writeIdsPerRun * writingRuns++) : '',
      };
      const { stdout } = await run(binary, args, { env, timeout: (durationSeconds + 30) * 1000 });
      const line = stdout.split('\n').find((text) => text.startsWith('BENCH_RESULT '));
      if (!line) throw new Error(`wrk printed no result for ${url}: ${stdout}`);
      const report = JSON.parse(line.slice('BENCH_RESULT '.length)) as WrkReport;
      return {
        requestsPerSecond: report.requests / (report.durationUs / 1e6),
        p50Ms: report.p50Us / 1000,
        p99Ms: report.p99Us / 1000,
        errors: report.connectErrors + report.readErrors + report.writeErrors + report.statusErrors + report.timeouts,
        requests: report.requests,
        bytesPerRequest: report.requests > 0 ? report.bytes / report.requests : 0,
      };
    },
  };
}

/** The part of autocannon's `--json` report the bench reads. */
interface AutocannonReport {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  latency: { p50: number; p99: number };
  requests: { total: number };
  throughput: { total: number };
}

function autocannonGenerator(binary: string): LoadGenerator {
  return {
    name: 'autocannon',
    description: 'autocannon, one process (wrk is not installed)',
    async drive({ url, connections, durationSeconds, headers = {}, spreadPorts = [], writes = false }) {
      if (spreadPorts.length > 0) throw new Error('spreading the load over several backends needs wrk: apt-get install -y wrk');
      if (writes) throw new Error('the write case needs wrk: apt-get install -y wrk');
      const headerArgs = Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}=${value}`]);
      const args = [
        '--json',
        '-c',
        String(connections),
        '-d',
        String(durationSeconds),
        '-t',
        String(requestTimeoutSeconds),
        ...headerArgs,
        url,
      ];
      const { stdout } = await run(binary, args, { timeout: (durationSeconds + 30) * 1000 });
      const report = JSON.parse(stdout) as AutocannonReport;
      const requests = report.requests.total;
      return {
        requestsPerSecond: requests / report.duration,
        p50Ms: report.latency.p50,
        p99Ms: report.latency.p99,
        errors: report.errors + report.timeouts + report.non2xx,
        requests,
        bytesPerRequest: requests > 0 ? report.throughput.total / requests : 0,
      };
    },
  };
}
