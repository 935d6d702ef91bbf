/**
 * The deployment rehearsed on the local Docker engine (npm run rehearse, stand-in base images):
 * one rehearsal for the whole suite, started once and reused; the fault tests change it with
 * --apply, in order. Real Docker, real images from the Dockerfiles, the cluster's own gateway
 * configuration.
 */
import { strict as assert } from 'node:assert';
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { type Browser, chromium } from 'playwright-core';
import { gatewayPorts, metricsLagSeconds, metricsPath } from '../../apps/gateway/src/index.js';
import { captureStack } from '../../scripts/capture/kubernetes-objects.js';
import { readStackConfig } from '../../scripts/capture/stack-config.js';
import { runLabel } from '../../scripts/rehearse/rehearsal-labels.js';
import { SteadyLoad, type LoadReport } from '../faults/support/steady-load.js';
import { request } from '../gateway/support/http.js';
import { jwtSettings, signToken, testIssuer, validClaims } from '../gateway/support/tokens.js';
import { freePort } from '../../scripts/local/ports.js';
import { eventually } from '../../scripts/eventually.js';
import { containersNamed, dockerOutput, dockerText, podOf, rehearsalContainers } from './support/docker.js';
import { rehearseOnce, repoRoot, startRehearsal, type RunningRehearsal } from './support/rehearsal-process.js';
import { changedCopy } from './support/source-copy.js';

const execFileAsync = promisify(execFile);
const issuer = testIssuer();
const apiKey = randomBytes(18).toString('base64url');
/**
 * The stack config of the suite's rehearsal. The rate limit is per gateway pod: 120/s each, above
 * the steady load's at most 120 req/s, spread over the two.
 */
const baseConfig = [
  'gatewayReplicas=2',
  'rateLimitPerSecond=120',
  'rateLimitBurst=30',
  `apiKeys=${JSON.stringify({ 'rehearsal-ci': apiKey })}`,
  `jwtJwks=${issuer.jwks}`,
  `jwtIssuer=${jwtSettings.issuer}`,
  `jwtAudience=${jwtSettings.audience}`,
];
const tutorialTitles = ['Learning Node.js Development', 'Hands-On Microservices with Node.js'];

const ok = (status: number) => status >= 200 && status < 300;

function assertNoneLost(report: LoadReport, what: string): void {
  console.log(`        ${what}: ${report.exchanges.length} requests, ${report.failures.length} lost, ${report.retriedOnClosedConnection} resent after a close before any answer`);
  assert.ok(report.exchanges.length > 50, `${what}: only ${report.exchanges.length} requests were sent`);
  const failures = report.failures.slice(0, 5).map((failure) => failure.failure ?? `status ${failure.status}`);
  assert.equal(report.failures.length, 0, `${what}: ${report.failures.length} of ${report.exchanges.length} lost: ${failures.join('; ')}`);
}

function assertJsonError(reply: { status: number; headers: Headers; body: string }, status: number, what: string): void {
  assert.equal(reply.status, status, `${what}: ${reply.body}`);
  assert.match(reply.headers.get('content-type') ?? '', /^application\/json/, what);
  assert.equal(typeof (JSON.parse(reply.body) as { error: unknown }).error, 'string', what);
}

describe('npm run rehearse: the deployment on Docker, with stand-in base images', function () {
  this.timeout(120_000);
  let rehearsal: RunningRehearsal;
  const suiteStarted = Date.now();

  before(async function () {
    this.timeout(1_200_000);
    rehearsal = await startRehearsal(baseConfig);
    console.log(`      rehearsal: every pod ready ${rehearsal.readySeconds.toFixed(1)} s after the start`);
  });
  after(async () => {
    if (rehearsal && (await rehearsalContainers(rehearsal.pid)).length) await rehearsal.stop();
    console.log(`      suite took ${((Date.now() - suiteStarted) / 1000).toFixed(0)} s`);
  });

  const load = (workers = 3) =>
    new SteadyLoad({
      url: `${rehearsal.url}/books`,
      workers,
      // 3 workers pausing 25 ms: at most 120 req/s, under the two pods' 120/s each.
      pauseMs: 25,
      retryClosedBeforeAnswer: true,
      check: (answer) => (ok(answer.status) ? undefined : `status ${answer.status}: ${answer.body.slice(0, 120)}`),
    });

  it('serves the page and the books through every gateway pod from the moment it prints the gateway URL', () => {
    // The gateway starts once its backends have rolled out, as on `pulumi up`: a gateway pod
    // started before them would keep their names' empty answer for its resolver's 10 s.
    assert.deepEqual(
      rehearsal.firstReads.filter((read) => read.status !== 200),
      [],
      `the first reads: ${JSON.stringify(rehearsal.firstReads)}`,
    );
  });

  describe('containers', () => {
    it('lists every container with its pod, address and readiness, then the gateway URL', () => {
      const listed = rehearsal.listed();
      const count = (container: string) => listed.filter((line) => line.container === container).length;
      assert.deepEqual(
        { books: count('books'), 'books-react': count('books-react'), gateway: count('gateway'), others: listed.length - count('books') - count('books-react') - count('gateway') },
        { books: 2, 'books-react': 2, gateway: 2, others: 0 },
      );
      assert.ok(listed.every((line) => line.ready), rehearsal.output());
      assert.match(rehearsal.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    });

    it("runs every container as its spec's non-root user with a read-only root, where a write to / fails", async () => {
      const { objects } = await captureStack(readStackConfig(repoRoot, 'dev', baseConfig));
      const users = new Map<string, string>();
      for (const deployment of objects.filter((object) => object.kind === 'Deployment')) {
        const pod = (deployment.spec as { template: { spec: PodSpecUsers } }).template.spec;
        for (const container of pod.containers) {
          const user = container.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
          const group = container.securityContext?.runAsGroup ?? pod.securityContext?.runAsGroup;
          users.set(container.name, `${user}:${group}`);
        }
      }
      const containers = (await rehearsalContainers(rehearsal.pid)).filter((c) => c.Config.Labels['books-gateway.rehearse/container'] !== 'pause');
      // books 2, books-react 2, gateway 2 (gatewayReplicas 2 in this suite's config), one container each.
      assert.equal(containers.length, 6);
      for (const container of containers) {
        const name = container.Config.Labels['books-gateway.rehearse/container'] ?? '';
        const expected = users.get(name);
        assert.ok(expected && !expected.startsWith('0:'), `${name}: a non-root user in the spec`);
        // The user its process really runs as, from the kernel, not from Docker's config.
        const status = readFileSync(`/proc/${container.State.Pid}/status`, 'utf8');
        const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
        const gid = /^Gid:\s+(\d+)/m.exec(status)?.[1];
        assert.equal(`${uid}:${gid}`, expected, `${name} runs as its spec's user`);
        assert.equal(container.HostConfig.ReadonlyRootfs, true, `${name}: read-only root`);
        assert.deepEqual(container.HostConfig.CapDrop, ['ALL'], `${name}: no capabilities`);
        await assert.rejects(dockerText(['exec', container.Id, 'touch', '/rehearsal-write-test']), /Read-only file system/, `${name}: a write to / fails`);
      }
    });

    it('publishes no container port: only the gateway listens, on 127.0.0.1', async () => {
      for (const container of await rehearsalContainers(rehearsal.pid)) {
        assert.deepEqual(container.HostConfig.PortBindings ?? {}, {}, `${container.Name} publishes no port`);
        const published = Object.values(container.NetworkSettings.Ports ?? {}).filter((bindings) => bindings && bindings.length > 0);
        assert.equal(published.length, 0, `${container.Name} publishes no port`);
      }
      const listening = execFileSync('ss', ['-Hltnp'], { encoding: 'utf8' })
        .split('\n')
        .filter((line) => line.includes(`pid=${rehearsal.pid},`))
        .map((line) => line.trim().split(/\s+/)[3]);
      assert.deepEqual(listening, [`127.0.0.1:${rehearsal.port}`]);
      assert.equal((await request(`${rehearsal.url}/books`)).status, 200);
    });

    it("mounts the gateway's configuration byte for byte as the program's ConfigMap holds it", async () => {
      const { objects } = await captureStack(readStackConfig(repoRoot, 'dev', baseConfig));
      const configMap = objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name.startsWith('gateway-config-'));
      const files = (configMap?.data ?? {}) as Record<string, string>;
      assert.ok(Object.keys(files).length > 0, 'the program registers the gateway ConfigMap');
      for (const gateway of await containersNamed(rehearsal.pid, 'gateway')) {
        const listed = (await dockerText(['exec', gateway.Id, 'ls', '-A', '/etc/nginx/gateway'])).split('\n').sort();
        assert.deepEqual(listed, Object.keys(files).sort(), 'the same files, no more');
        for (const [name, text] of Object.entries(files)) {
          const mounted = await dockerOutput(['exec', gateway.Id, 'cat', `/etc/nginx/gateway/${name}`]);
          assert.ok(mounted.equals(Buffer.from(text, 'utf8')), `${name} is byte-identical`);
        }
      }
    });

    it('serves its Prometheus metrics, per route, on the status port inside the network', async () => {
      // Some reads first, so that each gateway pod (the load balancer alternates) has served books.
      for (let i = 0; i < 6; i++) assert.equal((await request(`${rehearsal.url}/books`)).status, 200);
      // Counted from the gateway's log within the metrics' lag.
      await sleep(metricsLagSeconds * 1000);
      const scrapes: string[] = [];
      for (const gateway of await containersNamed(rehearsal.pid, 'gateway')) {
        const pause = (await rehearsalContainers(rehearsal.pid)).find((c) => c.Config.Labels['books-gateway.rehearse/container'] === 'pause' && podOf(c) === podOf(gateway));
        assert.ok(pause);
        const [network, settings] = Object.entries(pause.NetworkSettings.Networks)[0]!;
        scrapes.push(
          await dockerText([
            'run', '--rm', '--label', `${runLabel}-test=rehearse`, '--network', network, '--user', '65535', '--entrypoint', '/busybox', pause.Config.Image,
            'wget', '-q', '-O', '-', `http://${settings.IPAddress}:${gatewayPorts.status}${metricsPath}`,
          ]),
        );
      }
      assert.equal(scrapes.length, 2);
      for (const metrics of scrapes) {
        assert.match(metrics, /^nginx_up 1$/m);
        assert.match(metrics, /^nginx_connections_accepted \d+$/m);
      }
      // The full set, from njs's shared dictionaries (the cluster's and the stand-in's njs have them).
      const booksServed = scrapes.map((metrics) => /^gateway_requests_total\{route="books"[^}]*\} (\d+)$/m.exec(metrics)?.[1]);
      assert.ok(booksServed.some((count) => Number(count) > 0), scrapes.join('\n'));
      assert.ok(scrapes.some((metrics) => /^gateway_request_duration_seconds_bucket\{route="books"/m.test(metrics)));
    });
  });

  describe("the gateway, through the rehearsal's load balancer", () => {
    let browser: Browser | undefined;
    after(async () => browser?.close());

    it('shows the books page in Chromium, listing the books', async () => {
      browser = await chromium.launch({
        executablePath: '/usr/bin/chromium',
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      });
      const page = await browser.newPage();
      page.setDefaultTimeout(15000);
      // What the page fetched, to say why when it shows no list.
      const fetched: string[] = [];
      page.on('response', (response) => fetched.push(`${response.status()} ${response.url()}`));
      page.on('requestfailed', (failed) => fetched.push(`failed (${failed.failure()?.errorText}) ${failed.url()}`));
      const response = await page.goto(rehearsal.url);
      assert.equal(response?.status(), 200, `the page: ${await response?.text()}`);
      const list = page.getByRole('list', { name: 'Books' });
      const alert = page.getByRole('alert');
      const seen = async () => `the page shows: ${await page.locator('main').innerText()}\nit fetched:\n${fetched.join('\n')}`;
      await list
        .or(alert)
        .waitFor()
        .catch(async (error: Error) => assert.fail(`${error.message}\n${await seen()}`));
      assert.equal(await alert.count(), 0, await seen());
      for (const title of tutorialTitles) await list.getByText(title).waitFor();
    });

    it('answers errors as JSON, refuses writes without credentials and lets a JWT or an API key through to the API', async () => {
      assertJsonError(await request(`${rehearsal.url}/books/9999999999`), 404, 'an unknown book');
      const post = (headers: Record<string, string>, body = '{}') =>
        request(`${rehearsal.url}/books`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
      assertJsonError(await post({}), 401, 'a write without credentials');
      assertJsonError(await post({ authorization: 'Bearer not.a.token' }), 401, 'a bad token');
      // The API itself has no write route: 405 is its answer, so the gateway let the write through.
      assertJsonError(await post({ authorization: `Bearer ${signToken(issuer, 'RS256', validClaims())}` }), 405, 'an RS256 token');
      assertJsonError(await post({ authorization: `Bearer ${signToken(issuer, 'ES256', validClaims())}` }), 405, 'an ES256 token');
      assertJsonError(await post({ 'x-api-key': apiKey }), 405, 'the API key');
      assertJsonError(await post({ 'x-api-key': apiKey }, 'x'.repeat(1_100_000)), 413, 'a body over maxBodySize (1m)');
    });

    it('answers 429 above the rate limit, and serves again after a pause', async () => {
      // wrk, as fast as 16 connections go: above two pods' 120/s each, even on a busy machine.
      const flood = execFileAsync('wrk', ['-t2', '-c16', '-d3s', `${rehearsal.url}/books`]);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      let refused: Awaited<ReturnType<typeof request>> | undefined;
      for (let attempt = 0; attempt < 50 && refused === undefined; attempt += 1) {
        const reply = await request(`${rehearsal.url}/books`);
        if (reply.status === 429) refused = reply;
        else assert.equal(reply.status, 200);
      }
      assert.ok(refused, 'a 429 while wrk floods the gateway');
      assertJsonError(refused, 429, 'over the rate');
      assert.equal(refused.headers.get('retry-after'), '1');
      const { stdout } = await flood;
      const total = Number(/(\d+) requests in/.exec(stdout)?.[1]);
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
      console.log(`        wrk: ${total} requests in 3 s, ${non2xx} answered 429`);
      assert.ok(non2xx > 0 && non2xx < total, stdout);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal((await request(`${rehearsal.url}/books`)).status, 200);
    });
  });

  /** The rollout listed only new pods, and the old ones stop (preStop, SIGTERM) within their grace. */
  async function assertReplaced(container: string, before: Set<string>, replicas: number): Promise<void> {
    const listed = rehearsal.listed().filter((line) => line.container === container);
    assert.equal(listed.length, replicas, rehearsal.output());
    assert.ok(listed.every((line) => line.ready && !before.has(line.pod)), `every ${container} pod is new and ready`);
    await eventually(`the old ${container} pods are gone`, async () => {
      const running = await containersNamed(rehearsal.pid, container);
      return running.length === replicas && running.every((c) => !before.has(podOf(c)));
    }, 120_000);
  }

  describe('faults under steady traffic (any non-2xx counts as lost)', () => {
    it('loses no request when a books pod is killed with docker kill, and restarts it', async () => {
      const [victim] = await containersNamed(rehearsal.pid, 'books');
      assert.ok(victim);
      const traffic = load();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await dockerText(['kill', victim.Id]);
      await eventually('the killed container runs again, ready', async () => {
        const again = (await containersNamed(rehearsal.pid, 'books')).find((c) => c.Id === victim.Id);
        return again !== undefined && again.State.StartedAt !== victim.State.StartedAt && rehearsal.output().includes(`${podOf(victim)}/books: exited; restarting it`);
      }, 30_000);
      // Ready again: the gateway's resolver (valid=10s) picks it up, and it serves.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      assertNoneLost(await traffic.stop(), 'docker kill of a books pod');
    });

    it('spreads requests over 3 books pods once books is scaled to 3', async () => {
      const traffic = load();
      await rehearsal.apply([...baseConfig, 'booksReplicas=3']);
      const pods = await containersNamed(rehearsal.pid, 'books');
      assert.equal(pods.length, 3);
      const addresses = new Set(rehearsal.listed().filter((line) => line.container === 'books').map((line) => `${line.address}:5000`));
      assert.equal(addresses.size, 3);
      const since = new Date().toISOString();
      await eventually('every books pod serves', async () => {
        const served = new Set<string>();
        for (const gateway of await containersNamed(rehearsal.pid, 'gateway')) {
          for (const line of (await dockerText(['logs', '--since', since, gateway.Id])).split('\n')) {
            if (line.startsWith('{')) served.add((JSON.parse(line) as { upstreamAddr: string }).upstreamAddr);
          }
        }
        return [...addresses].every((address) => served.has(address));
      }, 30_000);
      assertNoneLost(await traffic.stop(), 'scaling books to 3');
    });

    it('loses no request while a source change rolls books onto a new image', async function () {
      this.timeout(600_000);
      const copy = changedCopy('apps/books/src/server.ts', '\n// A source change: the rehearsal rolls books onto a new image.\n');
      const before = new Set((await containersNamed(rehearsal.pid, 'books')).map(podOf));
      const traffic = load();
      try {
        await rehearsal.apply([...baseConfig, 'booksReplicas=3'], copy.root);
      } finally {
        copy.remove();
      }
      await assertReplaced('books', before, 3);
      assertNoneLost(await traffic.stop(), 'a rolling update of books');
    });

    it('loses no request while a new gateway ConfigMap rolls both gateway pods', async function () {
      this.timeout(300_000);
      const before = new Set((await containersNamed(rehearsal.pid, 'gateway')).map(podOf));
      const traffic = load();
      await rehearsal.apply([...baseConfig, 'booksReplicas=3', 'maxBodySize=2m']);
      await assertReplaced('gateway', before, 2);
      assertNoneLost(await traffic.stop(), 'a gateway configuration change');
    });

    it('answers JSON 502 or 503 while every books pod is down, and recovers when they return', async () => {
      // Killed twice, a container waits out the kubelet's restart back-off (10 s): all are down.
      for (let round = 0; round < 2; round += 1) {
        const books = await containersNamed(rehearsal.pid, 'books');
        await Promise.all(books.map((container) => dockerText(['kill', container.Id])));
        if (round === 0) await eventually('the books containers run again', async () => (await containersNamed(rehearsal.pid, 'books')).length === 3, 20_000);
      }
      await eventually('the gateway answers that books is unavailable', async () => {
        const reply = await request(`${rehearsal.url}/books`);
        if (reply.status === 200) return false;
        assert.ok([502, 503].includes(reply.status), `status ${reply.status}`);
        assertJsonError(reply, reply.status, 'books down');
        return true;
      }, 8_000);
      assert.equal((await request(`${rehearsal.url}/`)).status, 200, 'the page is still served');
      await eventually('books serves again', async () => (await request(`${rehearsal.url}/books`)).status === 200, 60_000);
    });
  });

  describe('failing cleanly', () => {
    it('stops with one line when GATEWAY_PORT is taken, creating nothing and leaving the live rehearsal alone', async () => {
      const before = (await rehearsalContainers(rehearsal.pid)).map((c) => c.Id).sort();
      const result = await rehearseOnce(['--stand-in-base-images', ...baseConfig.flatMap((value) => ['--config', value])], rehearsal.port);
      assert.equal(result.code, 1);
      assert.equal(result.stderr.trim(), `Port ${rehearsal.port} on 127.0.0.1 is taken: set GATEWAY_PORT to a free port`);
      assert.deepEqual((await rehearsalContainers(rehearsal.pid)).map((c) => c.Id).sort(), before);
      assert.deepEqual(await rehearsalContainers(result.pid), [], 'the failed run created no container');
      assert.equal((await request(`${rehearsal.url}/books`)).status, 200);
    });

    it('stops with one line naming the address it tried when no Docker engine answers', async () => {
      const socket = `unix:///tmp/no-docker-engine-${process.pid}.sock`;
      const result = await rehearseOnce(['--stand-in-base-images'], await freePort(), { DOCKER_HOST: socket });
      assert.equal(result.code, 1);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(result.stderr, new RegExp(`^The Docker engine does not answer \\(Cannot connect to the Docker daemon at ${socket}\\..*scripts/docker-engine\\.sh`));
      assert.equal(result.stdout, '');
    });
  });

  // Last: mocha runs a describe's own tests before its nested ones.
  describe('stopping', () => {
  it('removes every container, its network and its DNS server on SIGTERM', async () => {
    const network = Object.keys((await rehearsalContainers(rehearsal.pid))[0]?.NetworkSettings.Networks ?? {})[0];
    assert.equal(await rehearsal.stop(), 0);
    assert.deepEqual(await rehearsalContainers(rehearsal.pid), []);
    assert.equal(await dockerText(['network', 'ls', '--quiet', '--filter', `name=^${network}$`]), '');
    assert.doesNotMatch(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }), new RegExp(`dnsmasq .*${network?.replace('rehearse-', '')}`));
  });
  });
});

interface PodSpecUsers {
  securityContext?: { runAsUser?: number; runAsGroup?: number };
  containers: { name: string; securityContext?: { runAsUser?: number; runAsGroup?: number } }[];
}
