/**
 * The kubeconfig target on the single-node cluster, as an operator deploys to kind, minikube or a
 * cluster made elsewhere: its images pushed to a registry (Debian's docker-registry on 127.0.0.1,
 * the cluster's) by a builder that exports no cache, like a plain Docker Engine's, and pulled
 * from there by the kubelet; its kubeconfig, kept in the stack as an operator keeps kind's, edited
 * to reach the same cluster by another address; and what an unreachable cluster does to its state.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { freePort } from '../../scripts/toolkit/ports.js';
import { request } from '../gateway/support/http.js';
import { pods, readyPodsByApp } from './support/assertions.js';
import { docker } from '../../scripts/toolkit/docker.js';
import { sharedCluster, type RunningCluster } from './support/cluster-process.js';
import { kubeconfigStackConfig } from './support/kubeconfig-stack.js';
import { TestStack } from './support/test-stack.js';
import { itKeepsTheStateWhileUnreachable } from './support/unreachable-cluster.js';

const namespace = 'books-gateway-kubeconfig';

describe('the kubeconfig target on the single-node cluster, its images in a registry', function () {
  this.timeout(240_000);
  let cluster: RunningCluster;
  let stack: TestStack;
  let port: number;
  /** The cluster's kubeconfig, its server the node's address, as the stack's `kubeconfig` secret. */
  let kubeconfig: string;

  before(async function () {
    this.timeout(1_800_000);
    cluster = await sharedCluster();
    port = await freePort();
    kubeconfig = readFileSync(cluster.kubeconfig, 'utf8');
    stack = new TestStack(cluster, 'kind', { ...kubeconfigStackConfig(cluster, namespace, port), kubeconfig }, ['kubeconfig']);
  });
  after(function () {
    this.timeout(300_000);
    if (this.currentTest?.state === 'failed') console.log(stack.logs.join('\n').split('\n').slice(-120).join('\n'));
    stack.remove();
  });

  describe('pulumi up', () => {
    it('pushes the three images to imageRegistry, with no cache export, and the kubelet pulls them by digest', async function () {
      this.timeout(900_000);
      const { outputs } = await stack.expect('up');
      const images = outputs.images as Record<string, string>;
      const catalog = (await (await fetch(`http://${cluster.registry}/v2/_catalog`)).json()) as { repositories: string[] };
      for (const name of ['books', 'books-react', 'gateway']) {
        assert.ok(catalog.repositories.includes(`books-gateway/${name}`), `${name} is in the registry: ${catalog.repositories.join(', ')}`);
        assert.match(
          images[name],
          new RegExp(`^${cluster.registry.replace(/\./g, '\\.')}/books-gateway/${name}:[0-9a-f]{16}@sha256:[0-9a-f]{64}$`),
        );
        const digest = images[name].split('@')[1];
        const pulled = JSON.parse(await docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', images[name]])) as string[];
        assert.ok(
          pulled.includes(`${cluster.registry}/books-gateway/${name}@${digest}`),
          `Docker holds ${name} as pulled from the registry: ${pulled.join(', ')}`,
        );
      }
      const tags = (await (await fetch(`http://${cluster.registry}/v2/books-gateway/books/tags/list`)).json()) as { tags: string[] };
      assert.ok(!tags.tags.includes('buildcache'), 'no build cache was exported');
      const running = await pods(cluster, namespace);
      assert.deepEqual(readyPodsByApp(running), { books: 2, 'books-react': 2, gateway: 1, postgres: 1 });
      assert.equal((await request(`http://127.0.0.1:${port}/books`)).status, 200);
    });
  });

  describe('the kubeconfig edited to reach the same cluster by another address', () => {
    it("updates the provider in place and replaces nothing when the server moves from the node's IP to a DNS name", async function () {
      this.timeout(600_000);
      const server = /^\s*server: (https:\/\/[^:\s]+):(\d+)$/m.exec(kubeconfig);
      assert.ok(server, `the cluster's kubeconfig names its server:\n${kubeconfig}`);
      assert.match(server[1], /^https:\/\/\d+\.\d+\.\d+\.\d+$/, 'the cluster is first reached by its IP');
      const { urns } = await stack.expect('export');
      stack.configure({ kubeconfig: kubeconfig.replace(`${server[1]}:${server[2]}`, `https://localhost:${server[2]}`) }, ['kubeconfig']);
      const { changes } = await stack.expect('up');
      const kinds = Object.keys(changes).filter((kind) => (changes[kind as keyof typeof changes] ?? 0) > 0);
      assert.deepEqual(
        kinds.filter((kind) => kind !== 'same' && kind !== 'update'),
        [],
        `only in-place updates: ${JSON.stringify(changes)}`,
      );
      assert.ok((changes.update ?? 0) >= 1, `the provider takes the new kubeconfig: ${JSON.stringify(changes)}`);
      // The same objects; an update writes the state in another order.
      assert.deepEqual(
        [...((await stack.expect('export')).urns ?? [])].sort(),
        [...(urns ?? [])].sort(),
        'the state holds the same objects',
      );
      assert.equal((await request(`http://127.0.0.1:${port}/books`)).status, 200, 'the gateway answers at the address it had');
    });
  });

  describe('an unreachable cluster', () => {
    itKeepsTheStateWhileUnreachable(() => ({ stack, cluster }));

    it('pulumi destroy, the cluster back, leaves no object behind', async function () {
      this.timeout(600_000);
      await stack.expect('destroy');
      await assert.rejects(cluster.kubectl(['get', 'namespace', namespace]), /NotFound/);
    });
  });
});
