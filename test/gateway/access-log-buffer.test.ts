import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { eventually } from '../../scripts/toolkit/eventually.js';
import { useEchoGateway } from './support/echo-gateway.js';
import { request } from './support/http.js';

/** The request ids of the access log's lines. */
async function loggedIds(log: () => Promise<Buffer>): Promise<Set<unknown>> {
  const lines = (await log()).toString('utf8').split('\n').filter(Boolean);
  return new Set(lines.map((line) => (JSON.parse(line) as Record<string, unknown>)['requestId']));
}

/** `count` reads through the gateway, each with an id of its own; their ids. */
async function reads(url: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => `buffered-${randomBytes(6).toString('hex')}`);
  for (const id of ids) assert.equal((await request(`${url}/books`, { headers: { 'X-Request-Id': id } })).status, 200);
  return ids;
}

// The cluster's gateway buffers its JSON access log (a write per 64 kB rather than per request):
// a line may wait, but never longer than the flush time, and none is lost when nginx stops.
describe('the access log, buffered as the cluster writes it', function () {
  this.timeout(60000);

  describe("on the stand-in of the gateway image's nginx, with the cluster's settings", () => {
    const gateway = useEchoGateway({}, undefined, 'stand-in');

    it("writes a quiet gateway's line within its flush time, though the buffer is far from full", async () => {
      const [id] = await reads(gateway().url, 1);
      await eventually(
        'the line of the request is written',
        async () => (await loggedIds(() => gateway().accessLogBytes())).has(id),
        10000,
        250,
      );
    });
  });

  describe("on Debian's nginx, the lines held for a minute", () => {
    const gateway = useEchoGateway({}, undefined, 'debian', { accessLogFlushSeconds: 60 });

    it('writes every line it holds when nginx stops as the kubelet stops it', async () => {
      const ids = await reads(gateway().url, 5);
      const before = await loggedIds(() => gateway().accessLogBytes());
      assert.ok(
        ids.every((id) => !before.has(id)),
        'the lines wait in the buffer',
      );
      await gateway().stop();
      const after = await loggedIds(() => gateway().accessLogBytes());
      assert.deepEqual(
        ids.filter((id) => !after.has(id)),
        [],
        'no line lost',
      );
    });
  });
});
