/**
 * The full set's counting, on the nginx and njs of the gateway image (its stand-in, in Docker,
 * with the pod's restrictions): nginx logs each public request to a buffered file, and a
 * js_periodic moves the file aside 4 times a second, has nginx reopen it, and counts it. Under
 * concurrent load that must lose and repeat nothing, with one worker (the cluster's default) and
 * with several (a larger CPU limit), and leave no lines behind in the run folder (an emptyDir).
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type GatewayRateLimit, clusterPlatform, metricsLagSeconds, metricsPath } from '../../apps/gateway/src/index.js';
import { eventually } from '../../scripts/toolkit/eventually.js';
import { type GatewayNginx, prepareGatewayNginx } from '../../scripts/toolkit/gateway-nginx.js';
import { containerNginx } from '../../scripts/toolkit/nginx-launchers.js';
import { type LocalSystem, startLocalSystem } from '../../scripts/local/local-system.js';
import { freePorts } from '../../scripts/toolkit/ports.js';
import { docker } from '../../scripts/toolkit/docker.js';
import { standInBaseImages } from '../../scripts/images/stand-ins.js';

/** Far above the test's traffic: no request is refused with 429. */
const rateLimit: GatewayRateLimit = { requestsPerSecond: 100_000, burst: 100_000, connectionsPerClient: 1_000 };

/** Requests sent, `concurrency` at a time over keep-alive connections; each must be a 200. */
async function load(url: string, requests: number, concurrency: number): Promise<void> {
  let sent = 0;
  const client = async () => {
    while (sent < requests) {
      sent++;
      const reply = await fetch(url);
      await reply.arrayBuffer();
      assert.equal(reply.status, 200);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
}

/** The value of the unlabelled or `route`-labelled sample `name` on a metrics page, if it is there. */
function findSample(page: string, name: string, route?: string): number | undefined {
  const labels = route === undefined ? '' : `\\{route="${route}"\\}`;
  const found = new RegExp(`^${name}${labels} (\\d+)$`, 'm').exec(page)?.[1];
  return found === undefined ? undefined : Number(found);
}

/** The same, which must be there. */
function sample(page: string, name: string, route?: string): number {
  const found = findSample(page, name, route);
  assert.ok(found !== undefined, `${name}${route ? ` of route ${route}` : ''} on the page:\n${page}`);
  return found;
}

describe("metrics: counting the log of the gateway image's nginx (stand-in, in Docker)", function () {
  this.timeout(60_000);
  let system: LocalSystem | undefined;
  let image = '';
  const gateways: GatewayNginx[] = [];
  const folders: string[] = [];

  before(async function () {
    this.timeout(1_200_000);
    image = (await standInBaseImages()).nginx;
    system = await startLocalSystem({ gatewayPort: 0, booksProcesses: 1, booksEnv: { LOG_LEVEL: 'warn' } });
  });
  after(async function () {
    this.timeout(60_000);
    const cleanup = await Promise.allSettled([
      ...gateways.map((gateway) => gateway.stop()),
      system?.stop(),
      ...folders.map((folder) => rm(folder, { recursive: true, force: true })),
    ]);
    const failed = cleanup.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
  });

  /** A gateway container with `workers` workers; its public URL, metrics URL and name. */
  async function gateway(workers: number) {
    const books = system?.books[0];
    assert.ok(books, 'the local system runs a books process');
    const [listen, status] = (await freePorts(2)) as [number, number];
    const name = `metrics-fold-${workers}-${randomBytes(3).toString('hex')}`;
    const folder = await mkdtemp(join(tmpdir(), `${name}-`));
    folders.push(folder);
    const nginx = await prepareGatewayNginx({
      name,
      launcher: containerNginx(image, name),
      folder,
      platform: { workerProcesses: workers, accessLog: `${clusterPlatform.runDir}/access.log` },
      ports: { listen, status },
      upstreams: { books: [books.port], booksReact: [books.port] },
      options: { rateLimit },
    });
    gateways.push(nginx);
    await nginx.start();
    const scrape = async () => (await fetch(`http://127.0.0.1:${status}${metricsPath}`)).text();
    const runFolder = async () => (await docker(['exec', name, 'ls', '-s', '-1', clusterPlatform.runDir])).split('\n');
    // Each worker's CPU ticks (utime + stime of /proc/<pid>/stat); `[n]` keeps grep from finding itself.
    const workerTicks = async () => {
      const stats = await docker([
        'exec',
        name,
        'sh',
        '-c',
        'for f in $(grep -l "[n]ginx: worker" /proc/[0-9]*/cmdline); do cat "${f%cmdline}stat"; done',
      ]);
      return stats
        .split('\n')
        .filter(Boolean)
        .map((stat) => {
          const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          return Number(fields[11]) + Number(fields[12]);
        });
    };
    return { url: `http://127.0.0.1:${listen}/books`, scrape, runFolder, workerTicks };
  }

  for (const workers of [1, 2]) {
    it(`counts each of 3000 concurrent requests once, with ${workers} worker${workers > 1 ? 's' : ''}, and leaves no log behind`, async () => {
      const { url, scrape, runFolder, workerTicks } = await gateway(workers);
      // Over more than a second: the log is moved aside and reopened several times under the load.
      await load(url, 3000, 32);
      const ticks = await workerTicks();
      assert.equal(ticks.length, workers);
      assert.ok(
        ticks.every((used) => used > 0),
        `every worker served requests (CPU ticks ${ticks.join(', ')})`,
      );
      // No series until the first fold has counted some.
      const counted = async () => findSample(await scrape(), 'gateway_requests_total', 'books') ?? 0;
      await eventually('the gateway counted 3000 requests', async () => (await counted()) >= 3000, metricsLagSeconds * 1000);
      const page = await scrape();
      assert.equal(sample(page, 'gateway_requests_total', 'books'), 3000, 'none twice');
      assert.equal(sample(page, 'gateway_request_duration_seconds_count', 'books'), 3000);
      assert.equal(sample(page, 'gateway_upstream_retries_total', 'books'), 0);
      assert.equal(sample(page, 'gateway_metrics_skipped_lines_total'), 0);
      assert.equal(sample(page, 'gateway_metrics_fold_errors_total'), 0);
      // Counted, the lines are gone: an empty log (size 0 blocks), no moved log waiting.
      const files = await runFolder();
      assert.ok(
        files.some((line) => /^\s*0 metrics\.log$/.test(line)),
        files.join('\n'),
      );
      assert.ok(!files.some((line) => line.includes('metrics.log.')), files.join('\n'));
    });
  }

  it("counts in nginx_http_requests_total what clients sent, not the fold's own requests", async () => {
    const { scrape } = await gateway(1);
    const before = sample(await scrape(), 'nginx_http_requests_total');
    // A dozen folds, each a request nginx makes itself; the only client request is the scrape.
    await sleep(3000);
    assert.equal(sample(await scrape(), 'nginx_http_requests_total') - before, 1);
  });
});
