/**
 * Runs the same load at several targets, interleaved (round after round, every target within
 * each round, in a rotating order) so that a slow patch of the machine hits all of them alike, and summarises the
 * rounds of each target and connection count by their median.
 */
import type { LoadGenerator, LoadResult } from './load-generator.js';
import { processTreeCpuSeconds } from './process-cpu.js';

export interface Target {
  key: string;
  url: string;
  headers?: Record<string, string>;
  /** See LoadSpec: the API direct, spread over its processes. */
  spreadPorts?: readonly number[];
  /** See LoadSpec: POSTs of new books and GETs of them instead of GET /books. */
  writes?: boolean;
  /** The proxy's main process, whose CPU time (workers included) is measured over each run. */
  proxyPid?: number;
}

export interface MeasurePlan {
  connectionCounts: readonly number[];
  rounds: number;
  durationSeconds: number;
  /** A second of load on every target before the rounds (JIT, pools, caches). Default true. */
  warmUp?: boolean;
}

export interface Summary {
  target: string;
  connections: number;
  /** Medians over the rounds. */
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Lowest and highest requests per second of the rounds: how noisy the figure is. */
  requestsPerSecondRange: [number, number];
  /** Summed over the rounds. */
  errors: number;
  requests: number;
  bytesPerRequest: number;
  /** The proxy's CPU time per request served, median over the rounds; undefined without a proxy. */
  proxyCpuUsPerRequest?: number;
}

/** One run's result and the proxy's CPU seconds over it. */
interface RoundResult extends LoadResult {
  proxyCpuSeconds?: number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function summarise(target: string, connections: number, results: RoundResult[]): Summary {
  const rps = results.map((result) => result.requestsPerSecond);
  const cpuPerRequest = results.flatMap(({ proxyCpuSeconds, requests }) =>
    proxyCpuSeconds === undefined || requests === 0 ? [] : [(proxyCpuSeconds * 1e6) / requests],
  );
  return {
    target,
    connections,
    requestsPerSecond: median(rps),
    p50Ms: median(results.map((result) => result.p50Ms)),
    p99Ms: median(results.map((result) => result.p99Ms)),
    requestsPerSecondRange: [Math.min(...rps), Math.max(...rps)],
    errors: results.reduce((sum, result) => sum + result.errors, 0),
    requests: results.reduce((sum, result) => sum + result.requests, 0),
    bytesPerRequest: median(results.map((result) => result.bytesPerRequest)),
    proxyCpuUsPerRequest: cpuPerRequest.length > 0 ? median(cpuPerRequest) : undefined,
  };
}

/** One second of load on every target first: JIT, connection pools and caches warm up. */
async function warmUp(generator: LoadGenerator, targets: readonly Target[]): Promise<void> {
  for (const target of targets) {
    await generator.drive({ ...target, connections: 10, durationSeconds: 1 });
  }
}

export async function measureInterleaved(
  generator: LoadGenerator,
  targets: readonly Target[],
  plan: MeasurePlan,
  onProgress: (line: string) => void,
): Promise<Summary[]> {
  if (plan.warmUp !== false) await warmUp(generator, targets);
  const results = new Map<string, RoundResult[]>();
  const keyOf = (target: string, connections: number) => `${target}@${connections}`;
  for (let round = 1; round <= plan.rounds; round += 1) {
    for (const connections of plan.connectionCounts) {
      // Each round starts at a different target: whichever runs first after a change of load
      // (or after the previous connection count) tends to fare worse, and this spreads that.
      const rotated = [...targets.slice(round % targets.length), ...targets.slice(0, round % targets.length)];
      for (const target of rotated) {
        const cpuBefore = target.proxyPid === undefined ? 0 : processTreeCpuSeconds(target.proxyPid);
        const load = await generator.drive({ ...target, connections, durationSeconds: plan.durationSeconds });
        const result: RoundResult =
          target.proxyPid === undefined ? load : { ...load, proxyCpuSeconds: processTreeCpuSeconds(target.proxyPid) - cpuBefore };
        const key = keyOf(target.key, connections);
        results.set(key, [...(results.get(key) ?? []), result]);
        onProgress(
          `round ${round} ${target.key} c=${connections}: ${Math.round(result.requestsPerSecond)} req/s, p50 ${result.p50Ms.toFixed(2)} ms, errors ${result.errors}`,
        );
      }
    }
  }
  return plan.connectionCounts.flatMap((connections) =>
    targets.map((target) => summarise(target.key, connections, results.get(keyOf(target.key, connections)) ?? [])),
  );
}
