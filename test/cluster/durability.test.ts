/**
 * Nothing committed is lost: the dev stack, deployed by the real `pulumi up` on the single-node
 * cluster with its PostgreSQL in a StatefulSet on a volume, under steady writes through the
 * gateway while a books pod is deleted, books roll onto a new image, a books container is killed
 * with SIGKILL, and PostgreSQL's is. Every write the API acknowledged is read back afterwards;
 * none is applied twice; clients get only the answers each case allows, and none waits forever.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { docker } from '../../scripts/toolkit/docker.js';
import { eventually } from '../../scripts/toolkit/eventually.js';
import { freePort } from '../../scripts/toolkit/ports.js';
import { pods } from './support/assertions.js';
import { sharedCluster, type RunningCluster } from './support/cluster-process.js';
import { contradictions, isJsonError, SteadyWrites, storedBooks, succeeded, type WriteExchange } from './support/steady-writes.js';
import { TestStack } from './support/test-stack.js';

const namespace = 'books-durable';
const apiKey = randomBytes(18).toString('base64url');

/** Counts of a run of writes, printed beside each test's name. */
function summary(what: string, writes: readonly WriteExchange[], extra = ''): string {
  const failed = writes.filter((write) => !succeeded(write));
  return `        ${what}: ${writes.length} writes, ${writes.length - failed.length} acknowledged, ${failed.length} failed${extra}`;
}

describe('nothing committed is lost: the real pulumi up of a stack, under steady writes', function () {
  this.timeout(600_000);
  let cluster: RunningCluster;
  let stack: TestStack;
  let url: string;

  /** The writes while `event` happens, with some before and after it. */
  async function writesAround(event: () => Promise<void>, settleMs = 3000): Promise<WriteExchange[]> {
    const load = new SteadyWrites(url, { 'x-api-key': apiKey });
    await eventually('writes under way', () => load.count >= 30, 20_000, 100);
    await event();
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    return load.stop();
  }

  /** What the API holds contradicts nothing it acknowledged. */
  async function assertNothingLost(writes: readonly WriteExchange[]): Promise<void> {
    const problems = contradictions(writes, await storedBooks(url));
    assert.deepEqual(problems.slice(0, 10), [], `${problems.length} contradictions of what the API acknowledged`);
  }

  const containerOf = async (app: string) => {
    const pod = (await pods(cluster, namespace)).find((candidate) => candidate.app === app && candidate.ready);
    assert.ok(pod, `a ready ${app} pod`);
    return { name: pod.name, container: pod.containerIds[0].slice('docker://'.length) };
  };
  const restarts = async (pod: string) =>
    Number(await cluster.kubectl(['-n', namespace, 'get', 'pod', pod, '-o', 'jsonpath={.status.containerStatuses[0].restartCount}']));
  const readyAgain = (pod: string, after: number) =>
    eventually(
      `${pod} restarted and ready`,
      async () => {
        const current = (await pods(cluster, namespace)).find((candidate) => candidate.name === pod);
        return current?.ready === true && (await restarts(pod)) > after;
      },
      180_000,
      500,
    );

  before(async function () {
    this.timeout(1_800_000);
    cluster = await sharedCluster();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    stack = new TestStack(
      cluster,
      'durable',
      {
        target: 'docker-desktop',
        namespace,
        baseImages: cluster.baseImages,
        postgresImage: cluster.postgresImage,
        gatewayServicePort: String(port),
        loadBalancerSettleSeconds: '5',
        // One client address stands for many here: limits it cannot reach keep them in the path.
        rateLimitPerSecond: '1000',
        rateLimitBurst: '1000',
        connectionsPerClient: '1000',
        apiKeys: JSON.stringify({ 'durability-ci': apiKey }),
        // And this stack's volume goes with it, which the end of the suite checks.
        databaseVolumeOnDestroy: 'delete',
      },
      ['apiKeys'],
    );
    await stack.expect('up');
  });
  after(function () {
    this.timeout(600_000);
    if (this.currentTest?.state === 'failed') console.log(stack.logs.join('\n').split('\n').slice(-120).join('\n'));
    stack.remove();
  });

  describe('books pods go away', () => {
    it('loses no write, and answers every one, while a books pod is deleted with kubectl delete pod', async () => {
      const { name } = await containerOf('books');
      const writes = await writesAround(async () => {
        await cluster.kubectl(['-n', namespace, 'delete', 'pod', name, '--wait=true']);
        await eventually(
          'two books pods ready again',
          async () => (await pods(cluster, namespace)).filter((pod) => pod.app === 'books' && pod.ready).length === 2,
          120_000,
          1000,
        );
      });
      console.log(summary('kubectl delete pod', writes));
      assert.deepEqual(writes.filter((write) => !succeeded(write)).slice(0, 5), [], 'every write succeeded');
      await assertNothingLost(writes);
    });

    it('loses no write, and answers every one, while a change to the books API rolls books onto a new image', async () => {
      stack.moveTo({ file: 'apps/books/src/server.ts', appended: '\n// A source change: pulumi up rolls books onto a new image.\n' });
      const writes = await writesAround(async () => {
        const { changes } = await stack.expect('up');
        assert.ok((changes.update ?? 0) >= 2, `the books image and Deployment are updated: ${JSON.stringify(changes)}`);
      });
      console.log(summary('a rolling update of books', writes));
      assert.deepEqual(writes.filter((write) => !succeeded(write)).slice(0, 5), [], 'every write succeeded');
      await assertNothingLost(writes);
    });

    it('answers the writes in flight on a books container killed with SIGKILL with a JSON 502 or 503, applies none twice, and every other write succeeds', async () => {
      const { name, container } = await containerOf('books');
      const before = await restarts(name);
      let killedFrom = 0;
      let killedUntil = 0;
      const writes = await writesAround(async () => {
        killedFrom = Date.now();
        await docker(['kill', '--signal', 'KILL', container]);
        killedUntil = Date.now();
        await readyAgain(name, before);
      });
      const inFlight = (write: WriteExchange) => write.sentAt <= killedUntil && write.endedAt >= killedFrom;
      const failed = writes.filter((write) => !succeeded(write));
      console.log(
        summary(
          'SIGKILL of a books container',
          writes,
          `, ${writes.filter(inFlight).length} in flight at the kill, ${failed.length} of them failed`,
        ),
      );
      const wrong = failed.filter((write) => !inFlight(write) || !isJsonError(write, [502, 503]));
      assert.deepEqual(
        wrong.slice(0, 5).map((write) => `${write.method} ${write.id}: ${write.status ?? write.failure} ${write.body.slice(0, 100)}`),
        [],
        'only writes in flight at the kill fail, with a JSON 502 or 503',
      );
      await assertNothingLost(writes);
    });
  });

  describe('PostgreSQL goes away', () => {
    it("answers the API's JSON 503 with Retry-After, never a hang, while PostgreSQL's container is killed, and keeps every acknowledged write on its volume", async () => {
      const { name, container } = await containerOf('postgres');
      const before = await restarts(name);
      let down = 0;
      let up = 0;
      const writes = await writesAround(async () => {
        down = Date.now();
        await docker(['kill', '--signal', 'KILL', container]);
        await readyAgain(name, before);
        up = Date.now();
      }, 5000);
      const failed = writes.filter((write) => !succeeded(write));
      const slowest = Math.max(...writes.map((write) => write.endedAt - write.sentAt));
      console.log(
        summary(
          "SIGKILL of PostgreSQL's container",
          writes,
          `; it served again after ${((up - down) / 1000).toFixed(1)} s; ${failed.length} answered 503; slowest answer ${slowest} ms`,
        ),
      );
      const notUnavailable = failed.filter((write) => !isJsonError(write, [503]) || write.retryAfter !== '2');
      assert.deepEqual(
        notUnavailable
          .slice(0, 5)
          .map((write) => `${write.method} ${write.id}: ${write.status ?? write.failure} ${write.body.slice(0, 100)}`),
        [],
        "every failed write got the API's 503 with Retry-After",
      );
      assert.ok(failed.length > 0, 'some writes met the outage');
      assert.ok(slowest < 6000, `no write waited more than 6 s (slowest ${slowest} ms)`);
      assert.ok(
        writes.some((write) => write.sentAt > up && succeeded(write)),
        'writes succeed again once it is back',
      );
      await assertNothingLost(writes);
    });
  });

  describe("the README's backup and restore, through kubectl exec", () => {
    it('pg_dump holds every book, and psql of that dump brings back a book deleted since', async () => {
      const exec = (command: string[], input?: string) =>
        cluster.kubectl(['-n', namespace, 'exec', ...(input === undefined ? [] : ['-i']), 'postgres-0', '--', ...command], input);
      const before = await storedBooks(url);
      const dump = await exec(['pg_dump', '-U', 'books', '--clean', '--if-exists', 'books']);
      const missing = [...before].filter(([id, title]) => !dump.includes(`${id}\t${title}\t`));
      assert.deepEqual(missing.slice(0, 5), [], `${missing.length} of ${before.size} books missing from the dump`);

      const [id, title] = [...before][0];
      const deleted = await fetch(`${url}/books/${id}`, { method: 'DELETE', headers: { 'x-api-key': apiKey } });
      assert.equal(deleted.status, 204);
      await exec(['psql', '-U', 'books', '-v', 'ON_ERROR_STOP=1', '--quiet', 'books'], dump);
      const restored = await fetch(`${url}/books/${id}`);
      assert.equal(restored.status, 200, 'the deleted book is back');
      assert.equal(((await restored.json()) as { title: string }).title, title);
      assert.equal((await storedBooks(url)).size, before.size, 'and every other book is there, once');
    });
  });

  describe('pulumi destroy, with databaseVolumeOnDestroy delete', () => {
    it('removes the database volume with the stack', async function () {
      this.timeout(600_000);
      const volume = (await cluster.kubectl(['-n', namespace, 'get', 'pvc', 'postgres-data', '-o', 'jsonpath={.spec.volumeName}'])).trim();
      assert.ok(volume, 'the claim is bound');
      await stack.expect('destroy');
      await eventually(
        'the volume is gone',
        async () => !(await cluster.kubectl(['get', 'pv', '-o', 'name'])).includes(volume),
        60_000,
        1000,
      );
    });
  });
});
