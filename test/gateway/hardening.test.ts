import { strict as assert } from 'node:assert';
import { request as httpsRequest } from 'node:https';
import { createConnection } from 'node:net';
import { contentSecurityPolicy, parseBodySize } from '../../apps/gateway/src/index.js';
import { useEchoGateway } from './support/echo-gateway.js';
import { type RawReply, type Reply, rawExchange, rawRequest, request } from './support/http.js';
import { selfSignedCertificate } from './support/self-signed.js';

const allowedOrigin = 'https://books.example.com';

/** The headers every answer of the gateway carries, whoever produced it. */
function assertSecurityHeaders(headers: Headers | Record<string, string | string[] | undefined>, what: string): void {
  const get = (name: string) => (headers instanceof Headers ? headers.get(name) : headers[name]);
  assert.equal(get('x-content-type-options'), 'nosniff', what);
  assert.equal(get('x-frame-options'), 'DENY', `${what}: the backend's own SAMEORIGIN is replaced`);
  assert.equal(get('referrer-policy'), 'no-referrer', what);
  assert.equal(get('content-security-policy'), contentSecurityPolicy, what);
  assert.equal(get('x-powered-by') ?? null, null, `${what}: no X-Powered-By`);
}

function assertJsonError(reply: RawReply | Reply, status: number, error: string, what: string): void {
  assert.equal(reply.status, status, what);
  const body = JSON.parse(reply.body) as { error: string };
  assert.equal(body.error, error, what);
}

describe('hardening of the gateway, on a real nginx', function () {
  this.timeout(20000);
  // Limits far above what these tests send (every request counts, refused ones too).
  const gateway = useEchoGateway({
    corsOrigins: [allowedOrigin],
    clientTimeout: 2,
    clientMaxBodySize: parseBodySize('clientMaxBodySize', '1k'),
    rateLimit: { requestsPerSecond: 10000, burst: 10000, connectionsPerClient: 1000 },
  });
  const url = (path: string) => `${gateway().url}${path}`;

  it('adds the security headers to proxied answers, its own errors and the status port', async () => {
    assertSecurityHeaders((await request(url('/books'))).headers, 'proxied API answer');
    assertSecurityHeaders((await request(url('/'))).headers, 'proxied page');
    assertSecurityHeaders((await request(url('/books'), { method: 'DELETE' })).headers, '401');
    assertSecurityHeaders((await request(url('/books'), { method: 'PROPFIND' })).headers, '405');
    assertSecurityHeaders((await request(`http://127.0.0.1:${gateway().statusPort}/nothing`)).headers, 'status port 404');
    assert.equal((await request(url('/'))).headers.get('strict-transport-security'), null, 'no HSTS over plain HTTP');
  });

  it('allows only the usual methods, answering others with a JSON 405 and Allow', async () => {
    for (const method of ['TRACE', 'PROPFIND', 'CONNECTX', 'MKCOL']) {
      const reply = await rawRequest(gateway().port, `${method} /books HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
      assert.equal(reply.headers['content-type'], 'application/json', `${method}: ${reply.body}`);
      assertJsonError(reply, 405, 'method_not_allowed', method);
      assert.equal(reply.headers['allow'], 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS', method);
    }
    assert.ok(!gateway().seen.some(({ method }) => method !== 'GET' && method !== 'POST'), 'none reached the backend');
  });

  it('lets only reads through to the page, answering writes there with a JSON 405 and Allow', async () => {
    const seenBefore = gateway().seen.length;
    for (const [method, path] of [
      ['POST', '/'],
      ['PUT', '/'],
      ['PATCH', '/index.html'],
      ['DELETE', '/'],
      ['POST', '/BOOKS'],
      ['DELETE', '/bookshelf'],
    ]) {
      const reply = await rawRequest(
        gateway().port,
        `${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
      );
      assertJsonError(reply, 405, 'method_not_allowed', `${method} ${path}`);
      assert.equal(reply.headers['allow'], 'GET, HEAD, OPTIONS', `${method} ${path}`);
    }
    assert.equal(gateway().seen.length, seenBefore, 'no write reached the page');
  });

  it('answers OPTIONS with the Allow of the route asked about', async () => {
    for (const [path, allow] of [
      ['/books', 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS'],
      ['/books/1788395549', 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS'],
      ['/', 'GET, HEAD, OPTIONS'],
    ]) {
      const reply = await request(url(path), { method: 'OPTIONS' });
      assert.equal(reply.status, 204, path);
      assert.equal(reply.headers.get('allow'), allow, path);
    }
    assert.equal((await request(url('/books'))).headers.get('allow'), null, 'no Allow on other answers');
  });

  it('answers CORS only for the configured origins, preflights at the gateway', async () => {
    const allowed = await request(url('/books'), { headers: { Origin: allowedOrigin } });
    assert.equal(allowed.headers.get('access-control-allow-origin'), allowedOrigin);
    assert.match(allowed.headers.get('vary') ?? '', /Origin/);
    const other = await request(url('/books'), { headers: { Origin: 'https://evil.example' } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);

    const seenBefore = gateway().seen.length;
    const preflight = (origin: string) =>
      request(url('/books'), {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization' },
      });
    const good = await preflight(allowedOrigin);
    assert.equal(good.status, 204);
    assert.equal(good.headers.get('access-control-allow-origin'), allowedOrigin);
    assert.match(good.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(good.headers.get('access-control-allow-headers') ?? '', /Authorization/);
    assert.equal(good.headers.get('access-control-max-age'), '600');
    const bad = await preflight('https://evil.example');
    assert.equal(bad.status, 204);
    for (const name of ['access-control-allow-origin', 'access-control-allow-methods', 'access-control-allow-headers']) {
      assert.equal(bad.headers.get(name), null, name);
    }
    assert.equal(gateway().seen.length, seenBefore, 'preflights never reach the backend');
  });

  it('answers oversized bodies, headers and URIs, and garbage, in JSON', async () => {
    const { port } = gateway();
    const cases: Array<[what: string, raw: string, status: number, error: string]> = [
      ['body over 1k', `POST /books HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\n\r\n${'x'.repeat(2048)}`, 413, 'payload_too_large'],
      ['16 kB header', `GET /books HTTP/1.1\r\nHost: x\r\nX-Filler: ${'a'.repeat(16000)}\r\n\r\n`, 431, 'request_header_fields_too_large'],
      [
        'many 7 kB headers',
        `GET /books HTTP/1.1\r\nHost: x\r\n${[1, 2, 3, 4, 5].map((n) => `X-${n}: ${'a'.repeat(7000)}\r\n`).join('')}\r\n`,
        431,
        'request_header_fields_too_large',
      ],
      ['10 kB URI', `GET /books/${'a'.repeat(10000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 414, 'uri_too_long'],
      ['no Host in HTTP/1.1', 'GET /books HTTP/1.1\r\n\r\n', 400, 'bad_request'],
      ['binary request line', '\x00\x01\x02 / HTTP/1.1\r\n\r\n', 400, 'bad_request'],
      ['header without colon', 'GET /books HTTP/1.1\r\nHost: x\r\nBroken header\r\n\r\n', 400, 'bad_request'],
      // nginx's own 505 and 501 for these: a 5xx for the client's mistake.
      ['HTTP/2.0 request line', 'GET /books HTTP/2.0\r\nHost: x\r\n\r\n', 400, 'bad_request'],
      ['HTTP/9.9 request line', 'GET /books HTTP/9.9\r\nHost: x\r\n\r\n', 400, 'bad_request'],
      ['unknown transfer coding', 'POST /books HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n', 400, 'bad_request'],
      ['chunked after gzip', 'POST /books HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', 400, 'bad_request'],
      // Refused with 401 first (no credentials); reading the body to discard it then fails.
      [
        'malformed chunk after a 401',
        'POST /books HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
        400,
        'bad_request',
      ],
    ];
    for (const [what, raw, status, error] of cases) {
      const reply = await rawRequest(port, raw);
      assertJsonError(reply, status, error, what);
      assertSecurityHeaders(reply.headers, what);
    }
  });

  it('limits the headers to 8 kB in total and refuses control bytes and raw non-ASCII in the path, before the backend', async () => {
    const seenBefore = gateway().seen.length;
    const head = 'GET /books HTTP/1.1\r\nHost: x\r\n';
    const cases: Array<[what: string, raw: string, status: number, error: string]> = [
      [
        'two 7,000-byte headers',
        `${head}X-A: ${'a'.repeat(7000)}\r\nX-B: ${'b'.repeat(7000)}\r\n\r\n`,
        431,
        'request_header_fields_too_large',
      ],
      [
        '8,193 bytes of headers',
        `${head}X-A: ${'a'.repeat(8193 - 'Host: x\r\n'.length - 'X-A: \r\n'.length)}\r\n\r\n`,
        431,
        'request_header_fields_too_large',
      ],
      ['\\x01 in a value', `${head}X-A: a\x01b\r\n\r\n`, 400, 'bad_request'],
      ['\\x1b in a value', `${head}User-Agent: \x1b[31mred\r\n\r\n`, 400, 'bad_request'],
      ['\\x7f in a value', `${head}X-A: a\x7f\r\n\r\n`, 400, 'bad_request'],
      ['raw 0xff in the path', 'GET /books/\xff HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'bad_request'],
      ['raw UTF-8 in the query', 'GET /?q=\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'bad_request'],
    ];
    for (const [what, raw, status, error] of cases) {
      const reply = await rawRequest(gateway().port, Buffer.from(raw, 'latin1'));
      assertJsonError(reply, status, error, what);
      assert.equal(
        (JSON.parse(reply.body) as { requestId: string }).requestId,
        reply.headers['x-request-id'],
        `${what}: the id the client sees`,
      );
    }
    assert.equal(gateway().seen.length, seenBefore, 'none reached the backend');
    // Exactly 8 kB of headers, a tab in a value and percent-encoded bytes pass.
    const passing = [
      `${head}X-A: ${'a'.repeat(8192 - 'Host: x\r\n'.length - 'X-A: \r\n'.length)}\r\n\r\n`,
      `${head}X-A: a\tb\r\n\r\n`,
      'GET /books/%FF?q=%C3%A9 HTTP/1.1\r\nHost: x\r\n\r\n',
    ];
    for (const raw of passing) assert.equal((await rawRequest(gateway().port, raw)).status, 200, raw.slice(0, 60));
  });

  it('passes HTTP/1.0 requests without Host on with a Host the backend accepts', async () => {
    for (const path of ['/books', '/']) {
      const reply = await rawRequest(gateway().port, `GET ${path} HTTP/1.0\r\n\r\n`);
      assert.equal(reply.status, 200, `HTTP/1.0 ${path}: ${reply.body}`);
      assert.deepEqual(JSON.parse(reply.body), { echo: path });
      assert.ok(gateway().seen.at(-1)?.headers.host, 'the backend got a Host');
    }
  });

  it('closes HTTP/0.9 requests without an answer, which could carry no header', async () => {
    const seenBefore = gateway().seen.length;
    for (const line of ['GET /\r\n', 'GET /books\r\n', 'GET /_gateway/errors/404\r\n', 'GET /\n']) {
      assert.equal(await rawExchange(gateway().port, line), '', JSON.stringify(line));
    }
    assert.equal(await rawExchange(gateway().statusPort, 'GET /healthz\r\n'), '', 'the status port too');
    assert.equal(gateway().seen.length, seenBefore, 'none reached the backend');
    // A request line nginx refused has no protocol either, and still gets its JSON answer.
    assertJsonError(
      await rawRequest(gateway().port, `GET /${'a'.repeat(10000)} HTTP/1.1\r\nHost: x\r\n\r\n`),
      414,
      'uri_too_long',
      '10 kB URI',
    );
  });

  it('answers only GET and HEAD on the status port', async () => {
    const status = `http://127.0.0.1:${gateway().statusPort}`;
    for (const path of ['/healthz', '/stub_status']) {
      assert.equal((await request(`${status}${path}`)).status, 200, path);
      assert.equal((await request(`${status}${path}`, { method: 'HEAD' })).status, 200, `HEAD ${path}`);
      for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
        const reply = await request(`${status}${path}`, { method, body: method === 'POST' ? '{}' : undefined });
        assertJsonError(reply, 405, 'method_not_allowed', `${method} ${path}`);
        assert.equal(reply.headers.get('allow'), 'GET, HEAD', `${method} ${path}`);
      }
    }
    assertJsonError(await request(`${status}/nothing`, { method: 'POST' }), 405, 'method_not_allowed', 'POST elsewhere');
    assertJsonError(await request(`${status}/nothing`), 404, 'not_found', 'GET elsewhere');
  });

  it('disconnects a client that sends its headers too slowly', async () => {
    const started = Date.now();
    const closedAfter = await new Promise<number>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port: gateway().port });
      socket.setTimeout(8000, () => socket.destroy(new Error('still open after 8 s')));
      // nginx resets a timed-out connection (reset_timedout_connection): an error, then close.
      socket.on('error', () => undefined);
      socket.on('data', () => undefined);
      socket.once('close', () => resolve(Date.now() - started));
      // One header line, then a byte every 500 ms: never the end of the headers.
      socket.write('GET /books HTTP/1.1\r\nHost: x\r\n');
      const drip = setInterval(() => socket.writable && socket.write('X'), 500);
      socket.once('close', () => clearInterval(drip));
    });
    assert.ok(closedAfter >= 1500 && closedAfter < 4000, `closed after ${closedAfter} ms (clientTimeout 2 s)`);
  });
});

describe('TLS at the gateway, on a real nginx', function () {
  this.timeout(20000);
  const { certificate, key } = selfSignedCertificate();
  const gateway = useEchoGateway({ tls: true }, () => ({ tlsCertificate: certificate, tlsKey: key }));

  it('serves HTTPS with the configured certificate, and HSTS', async () => {
    const reply = await new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>(
      (resolve, reject) => {
        const req = httpsRequest(`${gateway().url}/books`, { ca: certificate, timeout: 10000 }, (response) => {
          let body = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
        });
        req.once('error', reject).end();
      },
    );
    assert.equal(reply.status, 200);
    assert.deepEqual(JSON.parse(reply.body), { echo: '/books' });
    assert.equal(reply.headers['strict-transport-security'], 'max-age=31536000');
    assert.equal(gateway().seen.at(-1)?.headers['x-forwarded-proto'], 'https');
    assertSecurityHeaders(reply.headers, 'https');
    // Plain HTTP on the TLS port gets nginx's 400, in JSON.
    const plain = await rawRequest(gateway().port, 'GET /books HTTP/1.1\r\nHost: x\r\n\r\n');
    assertJsonError(plain, 400, 'bad_request', 'plain HTTP to the TLS port');
  });
});
