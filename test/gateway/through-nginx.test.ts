import { strict as assert } from 'node:assert';
import { type RawReply, type Reply, rawExchange, rawRequest, request } from './support/http.js';
import { eventually } from '../../scripts/toolkit/eventually.js';
import { defaultTimeouts, parseBodySize } from '../../apps/gateway/src/index.js';
import type { GatewayOptions, LocalSystem } from '../../scripts/local/local-system.js';
import { pause, resume } from '../faults/support/hung-process.js';
import { jsonLogRecords } from './support/access-log.js';
import { useLocalSystem } from './support/system.js';

const tutorialTitles = ['Learning Node.js Development', 'Hands-On Microservices with Node.js'];

interface ErrorReply {
  status: number;
  body: string;
  contentType: string | null;
  requestId: string | null;
}

/** What a client gets for an error the gateway answers itself. */
function assertGatewayError(reply: ErrorReply, status: number, error: string): void {
  assert.equal(reply.status, status);
  assert.match(reply.contentType ?? '', /^application\/json/);
  const body = JSON.parse(reply.body) as { error: string; message: string; requestId: string };
  assert.equal(body.error, error);
  assert.ok(body.message.length > 0);
  assert.ok(reply.requestId, 'the error carries an X-Request-Id header');
  assert.equal(body.requestId, reply.requestId);
}

const errorOf = (reply: Reply): ErrorReply => ({
  status: reply.status,
  body: reply.body,
  contentType: reply.headers.get('content-type'),
  requestId: reply.headers.get('x-request-id'),
});

const rawErrorOf = (reply: RawReply): ErrorReply => ({
  status: reply.status,
  body: reply.body,
  contentType: reply.headers['content-type'] ?? null,
  requestId: reply.headers['x-request-id'] ?? null,
});

/** A machine client's key: writes need credentials, and these tests write through to the API. */
const apiKey = 'through-nginx-tests-0123456789';

/**
 * A short read timeout, so a hung backend shows within the test's time; rate limits far above
 * what these tests send at once (the limits have their own tests).
 */
const gatewayOptions: GatewayOptions = {
  timeouts: { read: 1 },
  auth: { apiKeys: true },
  rateLimit: { requestsPerSecond: 10000, burst: 10000, connectionsPerClient: 1000 },
};

/** The access log line of the request with this id. */
async function accessLogEntryOf(system: LocalSystem, id: string): Promise<Record<string, unknown>> {
  let entry: Record<string, unknown> | undefined;
  await eventually('the access log has the request', async () => {
    entry = (await jsonLogRecords(system.gateway.accessLog)).find((record) => record['requestId'] === id);
    return entry !== undefined;
  });
  return entry ?? {};
}

describe('the gateway on a real nginx, in front of the real services', function () {
  this.timeout(30000);
  const { system, output } = useLocalSystem({ gateway: gatewayOptions, gatewaySecrets: { apiKeys: { tests: apiKey } } });
  const gateway = () => system().gateway.url;
  const accessLogEntry = (id: string) => accessLogEntryOf(system(), id);

  /**
   * After a test made every books process fail, nginx keeps them out of rotation for its
   * fail_timeout (2 s): each test starts once the API answers through the gateway again.
   */
  const booksServed = () =>
    eventually('the books API answers through the gateway', async () => (await request(`${gateway()}/books`)).status === 200, 5000);

  it('serves the books API at /books, without revealing what runs it', async () => {
    const reply = await request(`${gateway()}/books`);
    assert.equal(reply.status, 200);
    assert.match(reply.headers.get('content-type') ?? '', /^application\/json/);
    const titles = (JSON.parse(reply.body) as Array<{ title: string }>).map(({ title }) => title);
    for (const title of tutorialTitles) assert.ok(titles.includes(title), `${title} is listed`);
    assert.equal(reply.headers.get('server'), 'nginx', 'no version in Server');
    assert.equal(reply.headers.get('x-powered-by'), null);
    assert.match(reply.headers.get('x-request-id') ?? '', /^[0-9a-f]{32}$/);

    const book = await request(`${gateway()}/books/1788395549`);
    assert.equal((JSON.parse(book.body) as { title: string }).title, 'Learning Node.js Development');
  });

  it('serves the page at / and at every path that is not the API', async () => {
    for (const path of ['/', '/bookshelf']) {
      const [throughGateway, direct] = await Promise.all([request(`${gateway()}${path}`), request(`${system().booksReact.url}${path}`)]);
      assert.equal(throughGateway.status, direct.status, path);
      assert.equal(throughGateway.body, direct.body, path);
      assert.match(throughGateway.headers.get('content-type') ?? '', /^text\/html/, path);
    }
  });

  it('passes a well-formed request id to the books API and back, and replaces a malformed one', async () => {
    const id = `trace-${Date.now()}`;
    const reply = await request(`${gateway()}/books`, { headers: { 'X-Request-Id': id } });
    assert.equal(reply.headers.get('x-request-id'), id);
    await eventually('the books API logs the request id', () =>
      [...output.entries()].some(([component, lines]) => component.startsWith('books-') && lines.some((line) => line.includes(id))),
    );

    const forged = await request(`${gateway()}/books`, { headers: { 'X-Request-Id': 'bad id"}' } });
    assert.match(forged.headers.get('x-request-id') ?? '', /^[0-9a-f]{32}$/);
  });

  it("passes the books API's own errors through untouched", async () => {
    const cases: Array<[path: string, init: RequestInit & { headers?: Record<string, string> }]> = [
      ['/books/123', {}],
      ['/books/0306406152', {}],
      // The identity the gateway sets for the key, sent directly too: the API then answers alike.
      [
        '/books',
        {
          method: 'POST',
          body: '{}',
          headers: { 'content-type': 'application/json', 'x-api-key': apiKey, 'x-auth-subject': 'tests', 'x-auth-method': 'api-key' },
        },
      ],
      ['/books/1617293725', { method: 'DELETE', headers: { 'x-api-key': apiKey, 'x-auth-subject': 'tests', 'x-auth-method': 'api-key' } }],
    ];
    const book = system().books[0];
    assert.ok(book);
    for (const [path, caseInit] of cases) {
      // The same request id both ways: the API puts it in its error bodies.
      const init = { ...caseInit, headers: { ...caseInit.headers, 'X-Request-Id': `passthrough-${Date.now()}` } };
      const [throughGateway, direct] = await Promise.all([request(`${gateway()}${path}`, init), request(`${book.url}${path}`, init)]);
      assert.ok(direct.status >= 400, `${path} is an error of the API`);
      assert.equal(throughGateway.status, direct.status, path);
      assert.equal(throughGateway.body, direct.body, path);
      assert.equal(throughGateway.headers.get('content-type'), direct.headers.get('content-type'), path);
      assert.equal(throughGateway.headers.get('allow'), direct.headers.get('allow'), path);
    }
  });

  it("answers the page's errors in JSON, as its own", async () => {
    const cases: Array<[what: string, path: string, headers: Record<string, string>, status: number, error: string]> = [
      ['missing asset', '/assets/missing.js', {}, 404, 'not_found'],
      ['range past the end', '/favicon.svg', { Range: 'bytes=999999-' }, 416, 'range_not_satisfiable'],
      ['failed precondition', '/favicon.svg', { 'If-Match': '"not-this-one"' }, 412, 'precondition_failed'],
    ];
    for (const [what, path, headers, status, error] of cases) {
      const direct = await request(`${system().booksReact.url}${path}`, { headers });
      assert.equal(direct.status, status, `${what}: the page's own answer`);
      assert.match(direct.headers.get('content-type') ?? '', /^text\/html/, `${what}: the page answers HTML`);
      assertGatewayError(errorOf(await request(`${gateway()}${path}`, { headers })), status, error);
    }
    const notModified = await request(`${gateway()}/favicon.svg`, {
      headers: { 'If-None-Match': (await request(`${gateway()}/favicon.svg`)).headers.get('etag') ?? '' },
    });
    assert.equal(notModified.status, 304, 'a 304 passes through');
  });

  it('serves HTTP/1.0 clients that send no Host, and closes HTTP/0.9 requests unanswered', async () => {
    const { port } = system().gateway;
    const api = await rawRequest(port, 'GET /books HTTP/1.0\r\n\r\n');
    assert.equal(api.status, 200, api.body);
    assert.match(api.body, /Learning Node\.js Development/);
    const page = await rawRequest(port, 'GET / HTTP/1.0\r\n\r\n');
    assert.equal(page.status, 200, page.body);
    assert.match(page.headers['content-type'] ?? '', /^text\/html/);
    // HTTP/0.9 has no status line or headers, so an answer could carry no security header.
    assert.equal(await rawExchange(port, 'GET /books\r\n'), '');
  });

  it('logs the method the client sent, also for requests refused with an error page', async () => {
    const cases: Array<[method: string, path: string, status: number]> = [
      ['DELETE', '/books', 401],
      ['POST', '/books/1788395549', 401],
      ['POST', '/', 405],
      ['TRACE', '/books', 405],
      ['PROPFIND', '/books', 405],
    ];
    for (const [index, [method, path, status]] of cases.entries()) {
      // The case's index too: two POSTs can start in the same millisecond.
      const id = `method-${index}-${method}-${Date.now()}`;
      const reply = await rawRequest(
        system().gateway.port,
        `${method} ${path} HTTP/1.1\r\nHost: x\r\nX-Request-Id: ${id}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
      );
      assert.equal(reply.status, status, `${method} ${path}`);
      const entry = await accessLogEntry(id);
      assert.equal(entry['method'], method, `${method} ${path}`);
      assert.equal(entry['status'], status, `${method} ${path}`);
    }
  });

  it('answers a body larger than it accepts with a JSON 413', async () => {
    const reply = await rawRequest(
      system().gateway.port,
      'POST /books HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 5000000\r\n\r\n',
    );
    assertGatewayError(rawErrorOf(reply), 413, 'payload_too_large');
  });

  it('answers malformed requests and oversized headers in JSON, not HTML', async () => {
    const { port } = system().gateway;
    const garbage = await rawRequest(port, 'NOT HTTP AT ALL\r\n\r\n');
    assertGatewayError(rawErrorOf(garbage), 400, 'bad_request');
    const hugeHeader = await rawRequest(port, `GET /books HTTP/1.1\r\nHost: localhost\r\nX-Filler: ${'a'.repeat(20000)}\r\n\r\n`);
    assertGatewayError(rawErrorOf(hugeHeader), 431, 'request_header_fields_too_large');
  });

  it('answers health on the status port, and its own 404 there in JSON', async () => {
    const health = await request(system().gateway.statusUrl);
    assert.equal(health.status, 200);
    // `config` names the configuration that answered (a digest of the rendered files).
    assert.deepEqual(JSON.parse(health.body), { status: 'ok', config: system().gateway.configVersion() });
    const unknown = await request(`http://127.0.0.1:${system().gateway.statusPort}/metrics-or-anything`);
    assertGatewayError(errorOf(unknown), 404, 'not_found');
  });

  it('logs each request as one JSON line: request id, route, status, upstream and times', async () => {
    const id = `log-check-${Date.now()}`;
    await request(`${gateway()}/books`, { headers: { 'X-Request-Id': id } });
    const booksAddresses = system().books.map(({ port }) => `127.0.0.1:${port}`);
    const entry = await accessLogEntry(id);
    assert.equal(entry['route'], 'books');
    assert.equal(entry['status'], 200);
    assert.equal(entry['method'], 'GET');
    assert.ok(booksAddresses.includes(String(entry['upstreamAddr'])), `upstream ${String(entry['upstreamAddr'])}`);
    assert.equal(typeof entry['requestTime'], 'number');
    assert.match(String(entry['upstreamResponseTime']), /^\d+\.\d{3}$/);
  });

  it('loses no request while one of the two books processes is killed', async () => {
    const [victim] = system().books;
    assert.ok(victim);
    const statuses: number[] = [];
    let killed = false;
    const client = async () => {
      while (statuses.length < 400) {
        statuses.push((await request(`${gateway()}/books`)).status);
        if (!killed && statuses.length >= 100) {
          killed = true;
          await victim.process.kill();
        }
      }
    };
    try {
      await Promise.all([client(), client(), client(), client()]);
      assert.ok(killed && !victim.process.running, 'the process was killed mid-traffic');
      assert.deepEqual(
        statuses.filter((status) => status !== 200),
        [],
        `all ${statuses.length} requests succeeded`,
      );
    } finally {
      if (!victim.process.running) await victim.start();
    }
  });

  it('answers 502 in JSON at once when no books process runs, and recovers when they return', async () => {
    await booksServed();
    const { books } = system();
    await Promise.all(books.map((book) => book.process.stop()));
    try {
      const started = Date.now();
      const reply = await request(`${gateway()}/books`);
      assert.ok(Date.now() - started < 2000, 'no hang');
      assertGatewayError(errorOf(reply), 502, 'bad_gateway');
      const entry = await accessLogEntry(reply.headers.get('x-request-id') ?? '');
      assert.equal(entry['route'], 'books', 'the log still names the route that failed');
      assert.equal(entry['status'], 502);
    } finally {
      await Promise.all(books.map((book) => book.start()));
    }
    await booksServed();
  });

  it('answers 504 in JSON when the books API hangs, and recovers when it answers again', async () => {
    await booksServed();
    const { books } = system();
    for (const book of books) pause(book);
    try {
      const reply = await request(`${gateway()}/books`);
      assertGatewayError(errorOf(reply), 504, 'gateway_timeout');
    } finally {
      for (const book of books) resume(book);
    }
    await booksServed();
  });

  it('answers 504 to every client that waited on the hung books API, also when no process was left to retry on', async () => {
    await booksServed();
    const { books } = system();
    for (const book of books) pause(book);
    try {
      // Each request that times out takes its process out of rotation, so the others, timing out
      // at the same moment, find no live process for their retry (nginx's own answer is a 502).
      const ids = [0, 1, 2, 3].map((index) => `hung-all-${index}-${Date.now()}`);
      const replies = await Promise.all(ids.map((id) => request(`${gateway()}/books`, { headers: { 'X-Request-Id': id } })));
      const entries = await Promise.all(ids.map((id) => accessLogEntry(id)));
      const tries = entries.map((entry) => `${String(entry['upstreamStatus'])} from ${String(entry['upstreamAddr'])}`).join(' | ');
      assert.deepEqual(
        replies.map(({ status }) => status),
        [504, 504, 504, 504],
        `tries: ${tries}`,
      );
      for (const reply of replies) assertGatewayError(errorOf(reply), 504, 'gateway_timeout');
      assert.deepEqual(
        entries.map((entry) => entry['status']),
        [504, 504, 504, 504],
        'the access log has the status the client got',
      );
    } finally {
      for (const book of books) resume(book);
    }
    await booksServed();
  });

  it('reloads a new configuration while it runs', async () => {
    await booksServed();
    // A new connection each time: on reload nginx's old workers close their idle keep-alive
    // connections, which a pooled client connection could be racing.
    const postBody = async () =>
      (
        await rawRequest(
          system().gateway.port,
          `POST /books HTTP/1.1\r\nHost: localhost\r\nX-API-Key: ${apiKey}\r\nContent-Type: text/plain\r\nContent-Length: 4096\r\nConnection: close\r\n\r\n${'x'.repeat(4096)}`,
        )
      ).status;
    assert.equal(await postBody(), 415, 'the API refuses the body itself: it takes JSON only');
    const before = system().gateway.configVersion();
    await system().gateway.reload({ ...gatewayOptions, clientMaxBodySize: parseBodySize('clientMaxBodySize', '1k') });
    try {
      // reload() resolves once the new configuration answers new connections.
      assert.notEqual(system().gateway.configVersion(), before);
      assert.equal(await postBody(), 413);
    } finally {
      await system().gateway.reload(gatewayOptions);
    }
  });
});

describe('the gateway with its default timeouts, in front of a hung books process', function () {
  this.timeout(40000);
  const { system } = useLocalSystem();
  const gateway = () => system().gateway.url;
  /** The longest a request may spend across its tries on the backends. */
  const retryBudgetMs = defaultTimeouts.retryBudget * 1000;

  it('retries a request on the other books process when one hangs', async () => {
    const [hung] = system().books;
    assert.ok(hung);
    pause(hung);
    try {
      const started = Date.now();
      // Round robin sends one of the two to the hung process.
      const ids = [`hung-one-a-${Date.now()}`, `hung-one-b-${Date.now()}`];
      const replies = await Promise.all(ids.map((id) => request(`${gateway()}/books`, { headers: { 'X-Request-Id': id } })));
      const elapsed = Date.now() - started;
      assert.deepEqual(
        replies.map(({ status }) => status),
        [200, 200],
      );
      assert.ok(elapsed < retryBudgetMs, `answered after ${elapsed} ms, within the ${retryBudgetMs} ms retry budget`);
      const entries = await Promise.all(ids.map((id) => accessLogEntryOf(system(), id)));
      assert.ok(
        entries.some((entry) => entry['upstreamStatus'] === '504, 200'),
        `one request timed out on the hung process and was retried: ${entries.map((entry) => String(entry['upstreamStatus'])).join(' | ')}`,
      );
    } finally {
      resume(hung);
    }
  });

  it('answers a JSON 504 within the retry budget when every books process hangs', async () => {
    // The resumed process serves again (nginx kept it out for its fail_timeout).
    await eventually('both processes answer', async () => (await request(`${gateway()}/books`)).status === 200, 5000);
    const { books } = system();
    for (const book of books) pause(book);
    try {
      const started = Date.now();
      const reply = await request(`${gateway()}/books`);
      const elapsed = Date.now() - started;
      assertGatewayError(errorOf(reply), 504, 'gateway_timeout');
      assert.ok(elapsed < retryBudgetMs + 1500, `answered after ${elapsed} ms (retry budget ${retryBudgetMs} ms)`);
    } finally {
      for (const book of books) resume(book);
    }
  });
});
