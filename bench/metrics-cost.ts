/**
 * What the full set of metrics costs: the same gateway rendering twice, on an nginx whose njs
 * serves the full set (the stand-in for the gateway image, in Docker), once with the per-route
 * metrics (the cluster's set: a buffered log line per request, counted by njs 4 times a second) and
 * once with nginx's connection counters only (the set of an older njs, which costs nothing per
 * request). Both in front of the same books process, interleaved.
 *
 * The containers share the host's network (the toolkit's containerNginx).
 *
 * Beside the requests per second it reports the CPU each gateway container spent per request
 * (its cgroup's counter around every round): on a machine shared with other work, throughput
 * swings with their load, while the nginx's own CPU per request shows its cost more steadily.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { clusterPlatform, metricsLagSeconds, metricsPath } from '../apps/gateway/src/index.js';
import { startLocalSystem } from '../scripts/local/local-system.js';
import { freePorts } from '../scripts/toolkit/ports.js';
import { standInBaseImages } from '../scripts/images/stand-ins.js';
import { docker } from '../scripts/toolkit/docker.js';
import { type GatewayNginx, prepareGatewayNginx } from '../scripts/toolkit/gateway-nginx.js';
import { containerNginx } from '../scripts/toolkit/nginx-launchers.js';
import { loadGeneratorRateLimit } from './configurations.js';
import type { LoadGenerator, LoadResult, LoadSpec } from './load-generator.js';
import { type MeasurePlan, type Summary, measureInterleaved, median } from './measure.js';
import { reportExitDuringBench } from './nginx-server.js';
import { type CaseLabels, table } from './report.js';

export const metricsCases: CaseLabels = [
  ['metrics-on', 'full metrics (njs >= 0.8.8)'],
  ['metrics-off', 'connection counters only'],
];

/** Median and range over the rounds of the CPU a gateway container spent per request. */
export interface CpuPerRequest {
  target: string;
  connections: number;
  medianUs: number;
  rangeUs: [number, number];
}

export interface MetricsCost {
  nginx: string;
  summaries: Summary[];
  cpu: CpuPerRequest[];
  /** Requests the metrics counted over the whole bench, to show they were on and lost none. */
  counted: number;
  /** Requests the load generator had answered by the full set's gateway: warm-up, lead-ins, rounds. */
  driven: number;
}

/** Nanoseconds of CPU the container has used: cgroup v1 (cpuacct) or v2 (cpu.stat). */
async function containerCpuNs(id: string): Promise<number> {
  const v1 = await readFile(`/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`, 'utf8').catch(() => undefined);
  if (v1 !== undefined) return Number(v1);
  for (const folder of [`/sys/fs/cgroup/system.slice/docker-${id}.scope`, `/sys/fs/cgroup/docker/${id}`]) {
    const stat = await readFile(`${folder}/cpu.stat`, 'utf8').catch(() => undefined);
    const usec = stat && /^usage_usec (\d+)$/m.exec(stat)?.[1];
    if (usec) return Number(usec) * 1000;
  }
  throw new Error(`no CPU counter found for container ${id} (cgroup v1 cpuacct or v2 cpu.stat)`);
}

/**
 * The generator, measuring each run in a steady state and reading the target container's CPU
 * counter around it. The first run per target is measureInterleaved's warm-up and is left out.
 *
 * Every run follows a lead-in of the same load at the same target, as long as the metrics lag:
 * the full set counts requests up to 1.75 s later (metricsLagSeconds, with a margin), so
 * without it a run would pay for folding the requests of the moment before it (none, the other
 * case had the load) and leave its own last seconds to be counted after it, unmeasured. With it,
 * every run pays for as many seconds of folding as it lasts; it also spares whichever case runs
 * first in a round the cold start that once cost it 5-10%.
 */
function steadyMeasuring(generator: LoadGenerator, containerOf: (url: string) => string, key: (spec: LoadSpec) => string) {
  const samples = new Map<string, number[]>();
  const warmedUp = new Set<string>();
  const answered = new Map<string, number>();
  const count = (url: string, result: LoadResult) => answered.set(url, (answered.get(url) ?? 0) + result.requests);
  const measuring: LoadGenerator = {
    name: generator.name,
    description: generator.description,
    async drive(spec) {
      count(spec.url, await generator.drive({ ...spec, durationSeconds: metricsLagSeconds }));
      const id = containerOf(spec.url);
      const before = await containerCpuNs(id);
      const result = await generator.drive(spec);
      count(spec.url, result);
      const perRequestUs = ((await containerCpuNs(id)) - before) / 1000 / Math.max(1, result.requests);
      if (warmedUp.has(spec.url)) samples.set(key(spec), [...(samples.get(key(spec)) ?? []), perRequestUs]);
      warmedUp.add(spec.url);
      return result;
    },
  };
  return { measuring, samples, answered: (url: string) => answered.get(url) ?? 0 };
}

const countedRequests = async (statusPort: number): Promise<number> => {
  const text = await (await fetch(`http://127.0.0.1:${statusPort}${metricsPath}`)).text();
  return [...text.matchAll(/^gateway_requests_total\{route="[^"]+"\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
};

export async function measureMetricsCost(generator: LoadGenerator, plan: MeasurePlan, log: (line: string) => void): Promise<MetricsCost> {
  // The stand-in for the gateway image's base (no registry is reachable here), built once.
  const image = (await standInBaseImages(log)).nginx;
  const nginx = (await docker(['run', '--rm', image, 'sh', '-c', 'nginx -v 2>&1; dpkg-query -W libnginx-mod-http-js'])).replace(
    /\s+/g,
    ' ',
  );
  const system = await startLocalSystem({
    gatewayPort: 0,
    booksProcesses: 1,
    booksEnv: { LOG_LEVEL: 'warn' },
    gateway: { rateLimit: loadGeneratorRateLimit },
  });
  const prefix = `metrics-bench-${randomBytes(3).toString('hex')}`;
  const names = { on: `${prefix}-on`, off: `${prefix}-off` };
  const folders: string[] = [];
  const gateways: GatewayNginx[] = [];
  const measure = async (): Promise<MetricsCost> => {
    const [books] = system.books;
    if (!books) throw new Error('the local system started no books process');
    // All four chosen together, so no two can be the same.
    const [onPort, onStatus, offPort, offStatus] = (await freePorts(4)) as [number, number, number, number];
    for (const [name, full, listen, status] of [
      [names.on, true, onPort, onStatus],
      [names.off, false, offPort, offStatus],
    ] as const) {
      const folder = await mkdtemp(join(tmpdir(), `${prefix}-`));
      folders.push(folder);
      const gateway = await prepareGatewayNginx({
        name,
        launcher: containerNginx(image, name),
        folder,
        // The image's layout and njs; the access log in the tmpfs, as the bench's other gateways log to a file.
        platform: { accessLog: `${clusterPlatform.runDir}/access.log`, fullMetrics: full },
        ports: { listen, status },
        upstreams: { books: [books.port], booksReact: [books.port] },
        options: { rateLimit: loadGeneratorRateLimit },
        listeners: { onUnexpectedExit: reportExitDuringBench },
      });
      gateways.push(gateway);
      await gateway.start();
    }
    log(`metrics on against off, ${nginx}:`);
    const targets = [
      { key: 'metrics-on', url: `http://127.0.0.1:${onPort}/books`, container: await docker(['inspect', '--format', '{{.Id}}', names.on]) },
      {
        key: 'metrics-off',
        url: `http://127.0.0.1:${offPort}/books`,
        container: await docker(['inspect', '--format', '{{.Id}}', names.off]),
      },
    ];
    const targetOf = (url: string) => targets.find((target) => target.url === url) ?? targets[0];
    const { measuring, samples, answered } = steadyMeasuring(
      generator,
      (url) => targetOf(url).container,
      (spec) => `${targetOf(spec.url).key}@${spec.connections}`,
    );
    const before = await countedRequests(onStatus);
    const summaries = await measureInterleaved(measuring, targets, plan, log);
    const cpu = summaries.map(({ target, connections }): CpuPerRequest => {
      const values = samples.get(`${target}@${connections}`) ?? [];
      return { target, connections, medianUs: median(values), rangeUs: [Math.min(...values), Math.max(...values)] };
    });
    // The last run's requests are counted within the lag.
    await sleep(metricsLagSeconds * 1000);
    const counted = (await countedRequests(onStatus)) - before;
    const driven = answered(`http://127.0.0.1:${onPort}/books`);
    return { nginx, summaries, cpu, counted, driven };
  };
  const measured = await measure().then(
    (cost) => ({ cost }),
    (error: unknown) => ({ error }),
  );
  // Each step whatever the others do: a Docker engine gone away must not leave books and nginx running.
  const cleanup = await Promise.allSettled([
    ...gateways.map((gateway) => gateway.stop()),
    system.stop(),
    ...folders.map((folder) => rm(folder, { recursive: true, force: true })),
  ]);
  // The measurement's own failure first: a failed clean-up after it is its consequence.
  if ('error' in measured) throw measured.error;
  const failed = cleanup.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  return measured.cost;
}

/** CPU per request of each case, and what the full set adds over the connection set. */
export function cpuTable(cpu: readonly CpuPerRequest[]): string {
  const rows = cpu.map(({ target, connections, medianUs, rangeUs }) => {
    const off = cpu.find((other) => other.target === 'metrics-off' && other.connections === connections);
    const added =
      target === 'metrics-on' && off
        ? `+${(medianUs - off.medianUs).toFixed(1)} (${((medianUs / off.medianUs - 1) * 100).toFixed(0)}%)`
        : '';
    return [
      metricsCases.find(([key]) => key === target)?.[1] ?? target,
      String(connections),
      medianUs.toFixed(1),
      `${rangeUs[0].toFixed(1)}-${rangeUs[1].toFixed(1)}`,
      added,
    ];
  });
  return table(['case', 'conns', 'nginx CPU us/req', 'rounds', 'added us'], rows);
}
