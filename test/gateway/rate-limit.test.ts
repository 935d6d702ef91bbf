import { strict as assert } from 'node:assert';
import { defaultRateLimit, renderGateway } from '../../apps/gateway/src/index.js';
import { eventually } from '../../scripts/toolkit/eventually.js';
import { jsonLogRecords } from './support/access-log.js';
import { useEchoGateway } from './support/echo-gateway.js';
import { type Reply, pipelined, request } from './support/http.js';

/** A 429 of the gateway: JSON in the usual error shape, and when to try again. */
function assertTooMany(reply: Reply): void {
  assert.equal(reply.status, 429);
  assert.match(reply.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal((JSON.parse(reply.body) as { error: string }).error, 'too_many_requests');
  assert.equal(reply.headers.get('retry-after'), '1');
  // The location adding Retry-After repeats the usual headers (nginx would drop them).
  assert.equal(reply.headers.get('x-content-type-options'), 'nosniff');
  assert.ok(reply.headers.get('x-request-id'));
}

describe('rate limiting per client address, on a real nginx', function () {
  this.timeout(20000);

  describe('requests', () => {
    const gateway = useEchoGateway({ rateLimit: { requestsPerSecond: 2, burst: 4, connectionsPerClient: 50 } });

    it('serves a burst at once, then answers 429 with Retry-After, and serves again after a pause', async () => {
      const replies = await Promise.all(Array.from({ length: 12 }, () => request(`${gateway().url}/books`)));
      const served = replies.filter(({ status }) => status === 200).length;
      // The rate's own request plus the burst; a third of a second may have added one more.
      assert.ok(served >= 5 && served <= 6, `${served} served`);
      const refused = replies.filter(({ status }) => status !== 200);
      assert.equal(refused.length, 12 - served);
      for (const reply of refused) assertTooMany(reply);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      assert.equal((await request(`${gateway().url}/`)).status, 200, 'the page too is served again');
    });
  });

  describe('whatever the answer', () => {
    // 10 per second: after a pause of 0.7 s the burst is whole again.
    const gateway = useEchoGateway({ rateLimit: { requestsPerSecond: 10, burst: 4, connectionsPerClient: 50 } });
    const pause = () => new Promise((resolve) => setTimeout(resolve, 700));

    it('counts preflights, refused methods and unknown internal paths like any request', async () => {
      const cases: Array<[what: string, raw: string, status: number]> = [
        ['OPTIONS', 'OPTIONS /books HTTP/1.1\r\nHost: x\r\n\r\n', 204],
        ['POST on the page', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n', 405],
        ['PROPFIND', 'PROPFIND /books HTTP/1.1\r\nHost: x\r\n\r\n', 405],
        ['a write without credentials', 'DELETE /books/1 HTTP/1.1\r\nHost: x\r\n\r\n', 401],
        ['an internal path', 'GET /_gateway/errors/404 HTTP/1.1\r\nHost: x\r\n\r\n', 404],
      ];
      for (const [what, raw, status] of cases) {
        const statuses = await pipelined(gateway().port, raw, 30);
        const answered = statuses.filter((answer) => answer === status).length;
        // The rate's own request plus the burst of 4, and what the rate added meanwhile.
        assert.ok(answered >= 5 && answered <= 8, `${what}: ${answered} answered ${status} (${statuses.join(' ')})`);
        assert.deepEqual(new Set(statuses.slice(answered)), new Set([429]), `${what}: the rest are 429 (${statuses.join(' ')})`);
        await pause();
      }
      assert.ok(!gateway().seen.some(({ method }) => method !== 'GET'), 'none of them reached the backend');
    });

    it('counts refusals in the access log, not as a line each in the error log', async () => {
      const id = `limited-${Date.now()}`;
      const statuses = await pipelined(gateway().port, `GET /books HTTP/1.1\r\nHost: x\r\nX-Request-Id: ${id}\r\n\r\n`, 20);
      const refused = statuses.filter((status) => status === 429).length;
      assert.ok(refused >= 10, `${refused} refused`);
      const entries = async () => (await jsonLogRecords(gateway().platform.accessLog ?? '')).filter((entry) => entry['requestId'] === id);
      await eventually('all 20 are logged', async () => (await entries()).length === 20);
      const limited = (await entries()).filter((entry) => entry['limitReq'] === 'REJECTED');
      assert.equal(limited.length, refused);
      assert.ok(limited.every((entry) => entry['status'] === 429));
      assert.deepEqual(
        gateway().nginxOutput.filter((line) => line.includes('limiting')),
        [],
        'no "limiting requests" lines',
      );
      await pause();
    });

    it('keeps at most 512 bytes of the URI and User-Agent a client sends in the access log', async () => {
      const id = `long-fields-${Date.now()}`;
      const reply = await request(`${gateway().url}/books?q=${'u'.repeat(6000)}`, {
        method: 'OPTIONS',
        headers: { 'user-agent': 'a'.repeat(6000), 'x-request-id': id },
      });
      assert.equal(reply.status, 204);
      let entry: Record<string, unknown> | undefined;
      await eventually('the request is logged', async () => {
        entry = (await jsonLogRecords(gateway().platform.accessLog ?? '')).find((record) => record['requestId'] === id);
        return entry !== undefined;
      });
      assert.equal(entry?.['userAgent'], 'a'.repeat(512));
      assert.equal(entry?.['uri'], `/books?q=${'u'.repeat(512 - '/books?q='.length)}`);
      await pause();
    });
  });

  describe('connections', () => {
    const gateway = useEchoGateway({ rateLimit: { requestsPerSecond: 100, burst: 100, connectionsPerClient: 2 } });

    it('answers 429 to a third connection while two requests are in flight', async () => {
      const slow = [request(`${gateway().url}/books/slow`), request(`${gateway().url}/books/slow`)];
      await new Promise((resolve) => setTimeout(resolve, 300));
      assertTooMany(await request(`${gateway().url}/books`));
      assert.deepEqual(
        (await Promise.all(slow)).map(({ status }) => status),
        [200, 200],
      );
      assert.equal((await request(`${gateway().url}/books`)).status, 200, 'served once the others finished');
    });
  });

  it('is on by default, with limits a page load fits in', () => {
    const conf = renderGateway({
      listenPort: 8080,
      books: { kind: 'static', addresses: ['127.0.0.1:5000'] },
      booksReact: { kind: 'static', addresses: ['127.0.0.1:3000'] },
      platform: { configDir: '/c', modulesDir: '/m', runDir: '/r', secretsDir: '/s', workerProcesses: 1 },
    }).files['nginx.conf'];
    assert.match(conf ?? '', new RegExp(`rate=${defaultRateLimit.requestsPerSecond}r/s`));
    assert.match(conf ?? '', new RegExp(`burst=${defaultRateLimit.burst} nodelay`));
    assert.match(conf ?? '', new RegExp(`limit_conn gateway_connections_per_client ${defaultRateLimit.connectionsPerClient};`));
    assert.ok(defaultRateLimit.burst >= 10, 'a page load (about 5 requests) fits in the burst');
  });
});
