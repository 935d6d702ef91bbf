/**
 * The real `pulumi up`: the Pulumi engine and CLI, the kubernetes and docker-build plugins built
 * here, deploying the dev stack to the single-node Kubernetes of `npm run cluster` (a real API
 * server with Pod Security admission, a real kubelet on the local Docker engine, kube-router
 * enforcing the NetworkPolicies), with the stand-in base images. One stack for the whole suite,
 * changed in order, as an operator would: preview, the first up, what it serves, the policies, a
 * second up from another checkout, rollouts under traffic, an unreachable cluster, and destroy.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/chromium.js';
import { docker } from '../../scripts/toolkit/docker.js';
import { eventually } from '../../scripts/toolkit/eventually.js';
import { freePort } from '../../scripts/toolkit/ports.js';
import { request } from '../gateway/support/http.js';
import { jwtSettings, signToken, testIssuer, validClaims } from '../gateway/support/tokens.js';
import { assertJsonError, assertNoneLost, pods, readyPodsByApp, steadyLoad } from './support/assertions.js';
import { sharedCluster, type RunningCluster } from './support/cluster-process.js';
import { describeMetrics } from './support/metrics-suite.js';
import { TestStack } from './support/test-stack.js';
import { itKeepsTheStateWhileUnreachable } from './support/unreachable-cluster.js';
import { assertCreatedBy, newBookBody } from '../support/book-writes.js';

const execFileAsync = promisify(execFile);
const issuer = testIssuer();
const apiKey = randomBytes(18).toString('base64url');
const namespace = 'books-gateway';
const tutorialTitles = ['Learning Node.js Development', 'Hands-On Microservices with Node.js'];

describe('the real pulumi up of the dev stack, on the single-node cluster', function () {
  this.timeout(240_000);
  let cluster: RunningCluster;
  let stack: TestStack;
  let url: string;
  let port: number;
  const suiteStarted = Date.now();

  before(async function () {
    this.timeout(1_800_000);
    cluster = await sharedCluster();
    console.log(`      cluster: ready ${cluster.startSeconds.toFixed(1)} s after npm run cluster started`);
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
    stack = new TestStack(
      cluster,
      'dev',
      {
        target: 'docker-desktop',
        baseImages: cluster.baseImages,
        postgresImage: cluster.postgresImage,
        gatewayServicePort: String(port),
        // Per gateway pod: the steady load's at most 120 req/s stays under it.
        rateLimitPerSecond: '120',
        rateLimitBurst: '30',
        apiKeys: JSON.stringify({ 'cluster-ci': apiKey }),
        jwtJwks: issuer.jwks,
        jwtIssuer: jwtSettings.issuer,
        jwtAudience: jwtSettings.audience,
      },
      ['apiKeys'],
    );
  });
  after(function () {
    this.timeout(300_000);
    if (this.currentTest?.state === 'failed') console.log(stack.logs.join('\n').split('\n').slice(-120).join('\n'));
    stack.remove();
    console.log(`      suite took ${((Date.now() - suiteStarted) / 1000).toFixed(0)} s`);
  });

  // Mocha runs a describe's own tests before its nested ones: every step is a describe of its own,
  // so that they run in the order they are written.
  describe('the first up', () => {
    it('pulumi preview builds nothing and plans every resource', async () => {
      const images = async () => (await docker(['images', '-q', '--filter', 'reference=books-gateway/*'])).trim().split('\n').sort();
      const before = await images();
      const { changes } = await stack.expect('preview');
      // The 29 of GatewayStack (9 of them its database's) and its provider, and the stack itself.
      assert.equal(changes.create, 30, JSON.stringify(changes));
      assert.deepEqual(await images(), before, 'no image was built');
      assert.doesNotMatch(stack.logs.at(-1)!, /\[internal\] load build definition/, 'no build ran');
    });

    it('pulumi up creates every resource on an empty stack, every pod admitted at restricted without a warning', async function () {
      this.timeout(900_000);
      const { changes, outputs } = await stack.expect('up');
      assert.equal(changes.create, 30, JSON.stringify(changes));
      assert.doesNotMatch(stack.logs.at(-1)!, /PodSecurity|would violate/i);
      assert.equal(outputs.gatewayUrl, `http://localhost:${port}`);
      assert.equal(
        (
          await cluster.kubectl(['get', 'namespace', namespace, '-o', 'jsonpath={.metadata.labels.pod-security\\.kubernetes\\.io/enforce}'])
        ).trim(),
        'restricted',
      );
    });

    it("refuses a privileged pod in the system's namespace (the admission control is on)", async () => {
      const privileged = JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'privileged-probe', namespace },
        spec: { containers: [{ name: 'probe', image: 'books-gateway-cluster/none:0', securityContext: { privileged: true } }] },
      });
      await assert.rejects(cluster.kubectl(['apply', '-f', '-'], privileged), /violates PodSecurity "restricted:latest".*privileged/s);
    });

    it('runs 2 books, 2 books-react, 1 gateway and 1 PostgreSQL pod, ready, whose containers the kubelet runs on Docker', async () => {
      const running = await pods(cluster, namespace);
      assert.deepEqual(readyPodsByApp(running), { books: 2, 'books-react': 2, gateway: 1, postgres: 1 });
      for (const pod of running) {
        for (const id of pod.containerIds) {
          assert.match(id, /^docker:\/\/[0-9a-f]{64}$/, pod.name);
          const labels = JSON.parse(
            await docker(['inspect', '--format', '{{json .Config.Labels}}', id.slice('docker://'.length)]),
          ) as Record<string, string>;
          assert.equal(labels['io.kubernetes.pod.name'], pod.name);
        }
      }
    });
  });

  describe("the gateway, at its gatewayUrl's port on 127.0.0.1", () => {
    let browser: Browser | undefined;
    after(async () => browser?.close());

    it('shows the books page in Chromium, listing the books', async () => {
      browser = await launchChromium();
      const page = await browser.newPage();
      page.setDefaultTimeout(15_000);
      const fetched: string[] = [];
      page.on('response', (response) => fetched.push(`${response.status()} ${response.url()}`));
      const response = await page.goto(url);
      assert.equal(response?.status(), 200, `the page: ${await response?.text()}`);
      const list = page.getByRole('list', { name: 'Books' });
      await list
        .waitFor()
        .catch(async (error: Error) =>
          assert.fail(`${error.message}\nthe page shows: ${await page.locator('main').innerText()}\nit fetched:\n${fetched.join('\n')}`),
        );
      for (const title of tutorialTitles) await list.getByText(title).waitFor();
    });

    it('answers errors as JSON, refuses writes without credentials and stores those with a JWT or an API key as written by their subject', async () => {
      assertJsonError(await request(`${url}/books/1617293725`), 404, 'an unknown book');
      const post = (headers: Record<string, string>) =>
        request(`${url}/books`, { method: 'POST', body: newBookBody(), headers: { 'content-type': 'application/json', ...headers } });
      assertJsonError(await post({}), 401, 'a write without credentials');
      assertJsonError(await post({ authorization: 'Bearer not.a.token' }), 401, 'a bad token');
      assertCreatedBy(
        await post({
          authorization: `Bearer ${signToken(issuer, 'RS256', validClaims({ sub: 'cluster-alice' }))}`,
          'x-auth-subject': 'admin',
        }),
        'cluster-alice',
        'an RS256 token',
      );
      const created = await post({ 'x-api-key': apiKey });
      assertCreatedBy(created, 'cluster-ci', 'the API key');
      const { id } = JSON.parse(created.body) as { id: number };
      assert.equal((await request(`${url}/books/${id}`)).status, 200, 'read back through the gateway');
    });

    it('answers 429 above the rate limit, and serves again after a pause', async () => {
      const flood = execFileAsync('wrk', ['-t2', '-c16', '-d3s', `${url}/books`]);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      let refused: Awaited<ReturnType<typeof request>> | undefined;
      for (let attempt = 0; attempt < 50 && refused === undefined; attempt += 1) {
        const reply = await request(`${url}/books`);
        if (reply.status === 429) refused = reply;
        else assert.equal(reply.status, 200);
      }
      assert.ok(refused, 'a 429 while wrk floods the gateway');
      assertJsonError(refused, 429, 'over the rate');
      assert.equal(refused.headers.get('retry-after'), '1');
      const { stdout } = await flood;
      assert.match(stdout, /Non-2xx or 3xx responses: [1-9]/, stdout);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal((await request(`${url}/books`)).status, 200);
    });
  });

  describeMetrics(() => ({ cluster, namespace, url }));

  describe('the NetworkPolicies, enforced by kube-router', () => {
    const probeNamespace = 'policy-probe';
    /** Sends an HTTP request from a pod; resolves with the first line of the answer, or undefined when the connection fails. */
    const httpFrom = async (pod: string, podNamespace: string, address: string, port: number, command: string[]) =>
      cluster
        .kubectl(['-n', podNamespace, 'exec', pod, '--', ...command, address, String(port)])
        .then((answer) => answer.split('\n')[0] || undefined)
        .catch(() => undefined);
    const ncGet = ['sh', '-c', 'printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 3 "$0" "$1"'];

    before(async function () {
      this.timeout(120_000);
      const busybox = (
        await docker(['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', 'reference=books-gateway-cluster/busybox'])
      )
        .trim()
        .split('\n')[0];
      await cluster.kubectl(['create', 'namespace', probeNamespace]);
      await cluster.kubectl([
        '-n',
        probeNamespace,
        'run',
        'probe',
        `--image=${busybox}`,
        '--image-pull-policy=IfNotPresent',
        '--command',
        '--',
        'sleep',
        '3600',
      ]);
      await cluster.kubectl(['-n', probeNamespace, 'wait', '--for=condition=Ready', 'pod/probe', '--timeout=60s']);
    });
    after(async function () {
      this.timeout(120_000);
      await cluster.kubectl(['delete', 'namespace', probeNamespace, '--wait=false']);
    });

    it('lets a pod of another namespace reach the gateway, and neither books, books-react nor PostgreSQL', async () => {
      const running = await pods(cluster, namespace);
      const ip = (app: string) => running.find((pod) => pod.app === app)!.ip;
      // kube-router programs a new pod's rules at its next sync after the pod starts: within
      // seconds on an idle machine, and once over 20 s on this busy 2-core one.
      await eventually(
        'the gateway answers the probe',
        async () => /^HTTP\/1\.1 /.test((await httpFrom('probe', probeNamespace, ip('gateway'), 8080, ncGet)) ?? ''),
        60_000,
        1000,
      );
      assert.equal(await httpFrom('probe', probeNamespace, ip('books'), 5000, ncGet), undefined, 'books is out of reach');
      assert.equal(await httpFrom('probe', probeNamespace, ip('books-react'), 3000, ncGet), undefined, 'books-react is out of reach');
      assert.equal(await httpFrom('probe', probeNamespace, ip('postgres'), 5432, ncGet), undefined, 'PostgreSQL is out of reach');
    });

    it('lets the gateway reach both backends, and a books pod not reach books-react', async () => {
      for (const path of ['/books', '/']) assert.equal((await request(`${url}${path}`)).status, 200, `${path} through the gateway`);
      const running = await pods(cluster, namespace);
      const books = running.find((pod) => pod.app === 'books')!;
      const page = running.find((pod) => pod.app === 'books-react')!;
      const connect = [
        'node',
        '-e',
        "const s=require('net').connect(Number(process.argv[2]),process.argv[1]);s.on('connect',()=>{console.log('connected');process.exit(0)});s.on('error',()=>process.exit(2));setTimeout(()=>process.exit(3),3000)",
      ];
      assert.equal(await httpFrom(books.name, namespace, page.ip, 3000, connect), undefined, 'books-react is out of reach of books');
    });
  });

  describe('a second up', () => {
    it('reports no change from a copy of the checkout at another path, with the same stack file', async function () {
      this.timeout(600_000);
      stack.moveTo();
      const { changes } = await stack.expect('up', { expectNoChanges: true });
      assert.deepEqual(Object.keys(changes), ['same'], JSON.stringify(changes));
    });
  });

  describe('rollouts and failures under steady traffic (any non-2xx counts as lost)', () => {
    /** The pods of `app` once the rollout is over: `replicas` of them, none of `before`. */
    async function assertReplaced(app: string, before: Set<string>, replicas: number): Promise<void> {
      await eventually(
        `every ${app} pod is new and ready, the old ones gone`,
        async () => {
          const current = (await pods(cluster, namespace)).filter((pod) => pod.app === app);
          return current.length === replicas && current.every((pod) => pod.ready && !before.has(pod.name));
        },
        120_000,
        1000,
      );
    }
    const podNames = async (app: string) =>
      new Set((await pods(cluster, namespace)).filter((pod) => pod.app === app).map((pod) => pod.name));

    it('loses no request while a change to the books API rolls books onto a new image', async function () {
      this.timeout(600_000);
      const before = await podNames('books');
      stack.moveTo({ file: 'apps/books/src/server.ts', appended: '\n// A source change: pulumi up rolls books onto a new image.\n' });
      const traffic = steadyLoad(url);
      const { changes } = await stack.expect('up');
      assert.ok((changes.update ?? 0) >= 2, `the books image and Deployment are updated: ${JSON.stringify(changes)}`);
      await assertReplaced('books', before, 2);
      assertNoneLost(await traffic.stop(), 'a rolling update of books');
    });

    it("loses no request while a change to the gateway's configuration, with gatewayReplicas 2, rolls the gateway", async function () {
      this.timeout(600_000);
      const before = await podNames('gateway');
      stack.configure({ gatewayReplicas: '2', maxBodySize: '2m' });
      const traffic = steadyLoad(url);
      await stack.expect('up');
      await assertReplaced('gateway', before, 2);
      assertNoneLost(await traffic.stop(), 'a gateway configuration change');
    });

    it('loses no request when a books pod is deleted with kubectl delete pod, which the Deployment replaces', async () => {
      const before = await podNames('books');
      const [victim] = [...before];
      const traffic = steadyLoad(url);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await cluster.kubectl(['-n', namespace, 'delete', 'pod', victim, '--wait=true']);
      await eventually(
        'a new books pod is ready in its place',
        async () => {
          const current = (await pods(cluster, namespace)).filter((pod) => pod.app === 'books' && pod.ready);
          return current.length === 2 && !current.some((pod) => pod.name === victim);
        },
        60_000,
        1000,
      );
      assertNoneLost(await traffic.stop(), 'kubectl delete pod of a books pod');
    });
  });

  describe('an unreachable cluster', () => {
    itKeepsTheStateWhileUnreachable(() => ({ stack, cluster }));
  });

  describe('pulumi destroy', () => {
    it("leaves no object of the stack in the cluster, the namespace included, but the database's volume, kept as databaseVolumeOnDestroy says by default", async function () {
      this.timeout(600_000);
      const { urns = [] } = await stack.expect('export');
      const volume = (await cluster.kubectl(['-n', namespace, 'get', 'pvc', 'postgres-data', '-o', 'jsonpath={.spec.volumeName}'])).trim();
      const { changes } = await stack.expect('destroy');
      // Every resource of the state, but the default providers, which the summary does not count.
      const resources = urns.filter((urn) => !/::pulumi:providers:[^:]+::default/.test(urn));
      assert.equal(changes.delete, resources.length, `every resource of the state: ${JSON.stringify(changes)}`);
      await assert.rejects(cluster.kubectl(['get', 'namespace', namespace]), /NotFound/);
      const left = await cluster.kubectl([
        'get',
        'all,configmaps,secrets,networkpolicies,poddisruptionbudgets,storageclasses',
        '-A',
        '-l',
        'app.kubernetes.io/part-of=books-gateway',
        '-o',
        'name',
      ]);
      assert.equal(left.trim(), '');
      // The volume outlives its claim (Retain), until someone deletes it as the README says.
      const kept = JSON.parse(await cluster.kubectl(['get', 'pv', volume, '-o', 'json'])) as {
        spec: { persistentVolumeReclaimPolicy: string; claimRef: { namespace: string; name: string } };
        status: { phase: string };
      };
      assert.deepEqual(
        [kept.spec.persistentVolumeReclaimPolicy, kept.status.phase, kept.spec.claimRef.namespace, kept.spec.claimRef.name],
        ['Retain', 'Released', namespace, 'postgres-data'],
      );
      await cluster.kubectl(['delete', 'pv', volume]);
    });
  });
});
