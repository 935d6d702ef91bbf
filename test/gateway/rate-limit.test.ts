import { strict as assert } from 'node:assert';
import { defaultRateLimit, renderGateway } from '../../apps/gateway/src/index.js';
import { useEchoGateway } from './support/echo-gateway.js';
import { type Reply, request } from './support/http.js';

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

  describe('connections', () => {
    const gateway = useEchoGateway({ rateLimit: { requestsPerSecond: 100, burst: 100, connectionsPerClient: 2 } });

    it('answers 429 to a third connection while two requests are in flight', async () => {
      const slow = [request(`${gateway().url}/books/slow`), request(`${gateway().url}/books/slow`)];
      await new Promise((resolve) => setTimeout(resolve, 300));
      assertTooMany(await request(`${gateway().url}/books`));
      assert.deepEqual((await Promise.all(slow)).map(({ status }) => status), [200, 200]);
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
