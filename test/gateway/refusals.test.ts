import { strict as assert } from 'node:assert';
import { parseBodySize } from '../../apps/gateway/src/index.js';
import { echoPaths, useEchoGateway } from './support/echo-gateway.js';
import { type RawReply, type TimedReply, rawRequest, sendSlowly } from './support/http.js';
import { nginxBuildNames, nginxBuilds } from './support/nginx-builds.js';

/** nginx's own words each time it stores what a client or a backend sends on the disk. */
const diskBufferWarning = /buffered to a temporary file/;

const key = 'refusals-tests-0123456789-abcdef';
const mib = 1024 * 1024;

/** A request's head announcing `length` bytes of body. */
const head = (requestLine: string, length: number, extra = '') =>
  `${requestLine} HTTP/1.1\r\nHost: x\r\n${extra}Content-Length: ${length}\r\n\r\n`;

function assertJsonAnswer(reply: RawReply, status: number, what: string): void {
  assert.equal(reply.status, status, `${what}: ${reply.body}`);
  assert.equal(reply.headers['content-type'], 'application/json', what);
  assert.equal((JSON.parse(reply.body) as { requestId: string }).requestId, reply.headers['x-request-id'], what);
}

for (const build of nginxBuilds) {
  describe(`refusals before the body, on ${nginxBuildNames[build]}`, function () {
    this.timeout(30000);
    // clientTimeout 2 s: a gateway that waited for the body would give up within the test.
    const gateway = useEchoGateway(
      {
        clientTimeout: 2,
        clientMaxBodySize: parseBodySize('clientMaxBodySize', '2m'),
        auth: { apiKeys: true },
        rateLimit: { requestsPerSecond: 10000, burst: 10000, connectionsPerClient: 1000 },
      },
      () => ({ apiKeys: { tests: key } }),
      build,
    );
    const limited = useEchoGateway(
      { clientTimeout: 2, rateLimit: { requestsPerSecond: 1, burst: 1, connectionsPerClient: 1000 } },
      undefined,
      build,
    );
    /** The answer to a head whose body never comes, and how long it took. */
    const withoutBody = (port: number, text: string): Promise<TimedReply> => sendSlowly(port, text, 0, 0, 1000);

    it('answers every refusal at once, without waiting for the body the request announces', async () => {
      const seenBefore = gateway().seen.length;
      const cases: Array<[what: string, text: string, status: number]> = [
        ['a write without credentials', head('POST /books', 5000), 401],
        ['a write with an unknown key', head('DELETE /books/1', 5000, 'X-API-Key: not-the-key-of-anyone-here\r\n'), 401],
        ['a write on the page', head('PUT /', 5000), 405],
        ['TRACE, which nginx refuses itself', head('TRACE /books', 5000), 405],
        ['an unknown method', head('PROPFIND /books', 5000), 405],
        ['a control byte in a header', head('POST /books', 5000, 'X-A: \x01\r\n'), 400],
        ['a body announced over maxBodySize', head('POST /books', 3 * mib, `X-API-Key: ${key}\r\n`), 413],
      ];
      for (const [what, text, status] of cases) {
        const reply = await withoutBody(gateway().port, text);
        assertJsonAnswer(reply, status, what);
        assert.ok(reply.afterMs < 1000, `${what}: answered after ${reply.afterMs} ms`);
      }
      assert.equal(gateway().seen.length, seenBefore, 'none reached the backend');
    });

    it('answers a request over the rate limit at once, body announced or not', async () => {
      const statuses = [];
      for (let sent = 0; sent < 3; sent++) statuses.push((await withoutBody(limited().port, head('POST /books', 5000))).status);
      assert.ok(statuses.includes(429), `a third request within a second is over the limit (${statuses.join(', ')})`);
      const reply = await withoutBody(limited().port, head('POST /books', 5000));
      assertJsonAnswer(reply, 429, 'over the limit');
      assert.ok(reply.afterMs < 1000, `answered after ${reply.afterMs} ms`);
    });

    it('gives a client that expects 100-continue the refusal instead, and an accepted write its 100 Continue', async () => {
      const refused = await withoutBody(gateway().port, head('POST /books', 5000, 'Expect: 100-continue\r\n'));
      assertJsonAnswer(refused, 401, 'no 100 Continue before the 401');
      assert.ok(refused.afterMs < 1000, `answered after ${refused.afterMs} ms`);
      const accepted = await rawRequest(gateway().port, head('POST /books', 2, `X-API-Key: ${key}\r\nExpect: 100-continue\r\n`));
      assert.equal(accepted.status, 100, 'the API wants the body');
    });

    it('refuses a GET, HEAD or OPTIONS that carries a body with 413, and lets one with Content-Length: 0 through', async () => {
      // Only requests of these methods count: the previous test's accepted POST may reach the
      // backend late, once its client has gone.
      const bodyless = () => gateway().seen.filter(({ method }) => ['GET', 'HEAD', 'OPTIONS'].includes(method)).length;
      const seenBefore = bodyless();
      for (const requestLine of ['GET /books', 'HEAD /books/1', 'OPTIONS /books', 'GET /']) {
        const reply = await withoutBody(gateway().port, head(requestLine, 10));
        assert.equal(reply.status, 413, requestLine);
        assert.ok(reply.afterMs < 1000, `${requestLine}: answered after ${reply.afterMs} ms`);
        const chunked = await withoutBody(gateway().port, `${requestLine} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n`);
        assert.equal(chunked.status, 413, `${requestLine}, chunked`);
      }
      assert.equal(bodyless(), seenBefore, 'none reached the backend');
      const metrics = await withoutBody(gateway().statusPort, head('GET /metrics', 10));
      assert.equal(metrics.status, 413, 'the metrics of the status port, whose njs would read the body');
      assert.ok(metrics.afterMs < 1000, `GET /metrics: answered after ${metrics.afterMs} ms`);
      assert.equal((await rawRequest(gateway().port, head('GET /books', 0))).status, 200, 'Content-Length: 0 is no body');
      assert.equal((await rawRequest(gateway().port, head('OPTIONS /books', 0))).status, 204);
    });

    it('stores no body on disk: refused ones are dropped as they arrive, an accepted one passed on as it arrives', async () => {
      const warningsBefore = gateway().nginxOutput.filter((line) => diskBufferWarning.test(line)).length;
      // 1 MiB each, 64 KiB every 50 ms: the refusals come long before the bodies end.
      const slowly = (text: string) => sendSlowly(gateway().port, text, mib, 64 * 1024, 50);
      const [read, anonymous] = await Promise.all([slowly(head('GET /books', mib)), slowly(head('POST /books', mib))]);
      assert.deepEqual([read.status, anonymous.status], [413, 401]);
      assert.ok(read.afterMs < 500 && anonymous.afterMs < 500, `answered after ${read.afterMs} and ${anonymous.afterMs} ms`);
      const accepted = await slowly(head('POST /books', mib, `X-API-Key: ${key}\r\n`));
      assert.equal(accepted.status, 200);
      assert.equal(gateway().bodyBytes.at(-1), mib, 'the API got the whole body');
      const warnings = gateway().nginxOutput.filter((line) => diskBufferWarning.test(line));
      assert.deepEqual(warnings.slice(warningsBefore), [], 'nginx wrote no body to a temporary file');
    });

    it('stores no answer on disk: a large one reaches a slow reader through memory', async () => {
      const warningsBefore = gateway().nginxOutput.filter((line) => diskBufferWarning.test(line)).length;
      const reply = await fetch(`${gateway().url}${echoPaths.large}`);
      // The client reads nothing for a second while the backend has sent all of it.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal((await reply.arrayBuffer()).byteLength, 4 * mib);
      const warnings = gateway().nginxOutput.filter((line) => diskBufferWarning.test(line));
      assert.deepEqual(warnings.slice(warningsBefore), [], 'nginx wrote no answer to a temporary file');
    });
  });
}
