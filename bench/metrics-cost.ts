/**
 * What the full set of metrics costs: the same gateway rendering twice, on an nginx whose njs has
 * shared dictionaries (the stand-in for the gateway image, in Docker), once with the per-route
 * metrics (the cluster's set: one njs call and a few shared-dictionary increments per request)
 * and once with nginx's connection counters only (the set of an njs without dictionaries, which
 * costs nothing per request). Both in front of the same books process, interleaved.
 *
 * The containers share the host's network, listening on 127.0.0.1: a port published by Docker
 * would put docker-proxy (a userland copy of every byte) in the path of both cases, which would
 * dilute the difference this measures.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NginxPlatform, clusterPlatform, metricsPath, nginxCommandLine, renderGateway } from '../apps/gateway/src/index.js';
import { startLocalSystem } from '../scripts/local/local-system.js';
import { freePorts } from '../scripts/local/ports.js';
import { docker, removeContainers, requireImage, testLabel } from '../test/metrics/support/docker.js';
import { howToMakeImages, standInImages } from '../test/metrics/support/docker-gateway.js';
import { eventually } from '../test/support/eventually.js';
import { loadGeneratorRateLimit } from './configurations.js';
import type { LoadGenerator } from './load-generator.js';
import { type MeasurePlan, type Summary, measureInterleaved } from './measure.js';
import type { CaseLabels } from './report.js';

export const metricsCases: CaseLabels = [
  ['metrics-on', 'full metrics (njs >= 0.8)'],
  ['metrics-off', 'connection counters only'],
];

export interface MetricsCost {
  nginx: string;
  summaries: Summary[];
  /** Requests the metrics counted during the run (warm-up included), to show they were on. */
  counted: number;
  /** Requests the load generator drove at the on-gateway in the measured rounds. */
  driven: number;
}

/** One gateway container on the host's network; its files in `folder`. */
async function startGateway(name: string, folder: string, platform: NginxPlatform, ports: { listen: number; status: number }, booksPort: number): Promise<void> {
  const upstream = { kind: 'static' as const, addresses: [`127.0.0.1:${booksPort}`] };
  const { files } = renderGateway({
    listenPort: ports.listen,
    listenAddress: '127.0.0.1',
    statusPort: ports.status,
    books: upstream,
    booksReact: upstream,
    platform,
    rateLimit: loadGeneratorRateLimit,
  });
  await chmod(folder, 0o755);
  for (const [file, text] of Object.entries(files)) await writeFile(join(folder, file), text, { mode: 0o644 });
  await docker('run', '-d', '--label', testLabel, '--name', name, '--network', 'host', '--read-only', '--cap-drop', 'ALL',
    '--tmpfs', `${platform.runDir}:uid=101,gid=101`, '--user', '101:101', '-v', `${folder}:${platform.configDir}:ro`,
    standInImages.nginx, ...nginxCommandLine(platform));
  await eventually(`${name} answers`, async () => (await fetch(`http://127.0.0.1:${ports.status}/healthz`).catch(() => undefined))?.ok === true, 15_000);
}

const countedRequests = async (statusPort: number): Promise<number> => {
  const text = await (await fetch(`http://127.0.0.1:${statusPort}${metricsPath}`)).text();
  return [...text.matchAll(/^gateway_requests_total\{route="[^"]+"\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
};

export async function measureMetricsCost(generator: LoadGenerator, plan: MeasurePlan, log: (line: string) => void): Promise<MetricsCost> {
  await requireImage(standInImages.nginx, howToMakeImages);
  const nginx = (await docker('run', '--rm', '--label', testLabel, standInImages.nginx, 'sh', '-c', 'nginx -v 2>&1; dpkg-query -W libnginx-mod-http-js'))
    .replace(/\s+/g, ' ');
  const system = await startLocalSystem({ gatewayPort: 0, booksProcesses: 1, booksEnv: { LOG_LEVEL: 'warn' }, gateway: { rateLimit: loadGeneratorRateLimit } });
  const prefix = `metrics-bench-${randomBytes(3).toString('hex')}`;
  const names = { on: `${prefix}-on`, off: `${prefix}-off` };
  const folders: string[] = [];
  try {
    const [books] = system.books;
    if (!books) throw new Error('the local system started no books process');
    // All four chosen together, so no two can be the same.
    const [onPort, onStatus, offPort, offStatus] = (await freePorts(4)) as [number, number, number, number];
    // The image's layout and njs; the access log in the tmpfs, as the bench's other gateways log to a file.
    const platform = (njsSharedDictionaries: boolean): NginxPlatform => ({
      ...clusterPlatform,
      modulesDir: '/usr/lib/nginx/modules',
      accessLog: `${clusterPlatform.runDir}/access.log`,
      njsSharedDictionaries,
    });
    for (const [name, shared, listen, status] of [
      [names.on, true, onPort, onStatus],
      [names.off, false, offPort, offStatus],
    ] as const) {
      const folder = await mkdtemp(join(tmpdir(), `${prefix}-`));
      folders.push(folder);
      await startGateway(name, folder, platform(shared), { listen, status }, books.port);
    }
    log(`metrics on against off, ${nginx}:`);
    const before = await countedRequests(onStatus);
    const summaries = await measureInterleaved(
      generator,
      [
        { key: 'metrics-on', url: `http://127.0.0.1:${onPort}/books` },
        { key: 'metrics-off', url: `http://127.0.0.1:${offPort}/books` },
      ],
      plan,
      log,
    );
    const counted = (await countedRequests(onStatus)) - before;
    const driven = summaries.filter(({ target }) => target === 'metrics-on').reduce((sum, { requests }) => sum + requests, 0);
    return { nginx, summaries, counted, driven };
  } finally {
    await removeContainers(Object.values(names));
    await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
    await system.stop();
  }
}
