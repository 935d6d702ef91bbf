import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startBooks, type BooksProcess } from './support/books-process';
import { eventually } from '../../scripts/toolkit/eventually.js';
import { request } from './support/http-client';
import { assertError, isIsbn10, JSON_TYPE, type ErrorBody } from './support/answers';

const TUTORIAL_BOOKS = [
  { id: 1788395549, title: 'Learning Node.js Development' },
  { id: 1788620216, title: 'Hands-On Microservices with Node.js' },
];
const RECORD_FIELDS = ['createdAt', 'createdBy', 'id', 'title', 'updatedAt', 'updatedBy'];
/** Methods each path refuses with 405, and the Allow header it names instead. */
const REFUSED: Array<[path: string, methods: string[], allow: string]> = [
  ['/books', ['PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'], 'GET, HEAD, POST'],
  ['/books/1788395549', ['POST', 'PATCH', 'OPTIONS', 'TRACE'], 'GET, HEAD, PUT, DELETE'],
  ['/healthz', ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'], 'GET, HEAD'],
  ['/readyz', ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'], 'GET, HEAD'],
];

describe('books API over HTTP', function () {
  let books: BooksProcess;
  const get = (path: string, headers?: Record<string, string>) => request(books.port, path, { headers });

  before(async function () {
    books = await startBooks();
  });

  after(async function () {
    await books?.kill();
  });

  it("GET /books lists the six seed books in id order, the tutorial's two among them, each id an ISBN-10, with who wrote it and when", async function () {
    const response = await get('/books');
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-type'], JSON_TYPE);
    assert.equal(response.headers['x-powered-by'], undefined);
    assert.equal(response.headers['link'], undefined, 'one page holds them all');
    const list = JSON.parse(response.body) as Record<string, unknown>[];
    assert.equal(list.length, 6, 'the six books of the first migration');
    for (const book of TUTORIAL_BOOKS) assert.equal(list.find((b) => b['id'] === book.id)?.['title'], book.title);
    for (const book of list) {
      assert.deepEqual(Object.keys(book).sort(), RECORD_FIELDS);
      assert.ok(isIsbn10(book['id'] as number), `${String(book['id'])} is an ISBN-10`);
      assert.ok((book['title'] as string).trim().length > 0);
      assert.equal(book['createdBy'], 'seed');
      assert.ok(!Number.isNaN(Date.parse(book['createdAt'] as string)), 'createdAt is a date');
    }
    assert.deepEqual(
      list.map((b) => b['id']),
      [...list.map((b) => b['id'] as number)].sort((a, b) => a - b),
      'in id order',
    );
  });

  it('GET /books/:id returns each listed book, with or without a trailing slash', async function () {
    const list = JSON.parse((await get('/books')).body) as { id: number; title: string }[];
    for (const book of list) {
      const response = await get(`/books/${book.id}`);
      assert.equal(response.status, 200);
      assert.equal(response.headers['content-type'], JSON_TYPE);
      assert.deepEqual(JSON.parse(response.body), book);
    }
    assert.equal((JSON.parse((await get('/books/1788620216/')).body) as { title: string }).title, TUTORIAL_BOOKS[1]?.title);
  });

  it('an unknown but well-formed ISBN-10 is 404 with a JSON error', async function () {
    // Kubernetes in Action: a real ISBN-10, not in the catalogue.
    assertError(await get('/books/1617293725'), 404, 'not_found');
  });

  it('a malformed id is 400 with a JSON error, naming a wrong check digit as such', async function () {
    for (const id of ['abc', '178839554', '17883955490', '178839554X', '0788395549', '-788395549']) {
      const response = await get(`/books/${id}`);
      assertError(response, 400, 'bad_request');
      assert.match((JSON.parse(response.body) as ErrorBody).message, /ISBN-10 of ten digits/, id);
    }
    const wrongCheckDigit = await get('/books/1788395540');
    assertError(wrongCheckDigit, 400, 'bad_request');
    assert.match((JSON.parse(wrongCheckDigit.body) as ErrorBody).message, /1788395540 has a wrong check digit/);
  });

  it('other methods are 405 with the Allow header of their path, even with a body of any type', async function () {
    for (const [path, methods, allow] of REFUSED) {
      for (const method of methods) {
        const response = await request(books.port, path, { method });
        assertError(response, 405, 'method_not_allowed');
        assert.equal(response.headers['allow'], allow, `${method} ${path}`);
      }
    }
    const withBody = [
      { 'content-type': 'application/json', body: '{"id":1,"title":"x"}' },
      { 'content-type': 'application/x-www-form-urlencoded', body: 'id=1' },
      { 'content-type': 'application/json', body: '{not json' },
      { 'content-type': 'application/json', body: 'x'.repeat(100_000) },
    ];
    for (const { body, ...headers } of withBody) {
      assertError(await request(books.port, '/books', { method: 'PATCH', headers, body }), 405, 'method_not_allowed');
    }
  });

  it('a path the router cannot read is 400 or 414 in the API error shape, without echoing it', async function () {
    const longId = 'a'.repeat(150);
    const cases: Array<[path: string, status: number, error: string]> = [
      ['/books/%c0', 400, 'bad_request'],
      ['/books/%E0%A4%A', 400, 'bad_request'],
      [`/books/${longId}`, 414, 'uri_too_long'],
    ];
    for (const [path, status, error] of cases) {
      const response = await get(path, { 'x-request-id': 'router-error-check' });
      assertError(response, status, error);
      assert.equal((JSON.parse(response.body) as ErrorBody).requestId, 'router-error-check', path);
      assert.ok(!response.body.includes(longId) && !response.body.includes('%c0'), `${path}: the path is not echoed`);
    }
  });

  it('HEAD answers like GET without a body', async function () {
    const head = await request(books.port, '/books', { method: 'HEAD' });
    const get200 = await get('/books');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-type'], JSON_TYPE);
    assert.equal(head.headers['content-length'], String(Buffer.byteLength(get200.body)));
    assert.equal(head.body, '');
    assert.equal((await request(books.port, '/books/1788395549', { method: 'HEAD' })).status, 200);
    assert.equal((await request(books.port, '/books/1617293725', { method: 'HEAD' })).status, 404);
  });

  it('an unknown route is 404 with a JSON error', async function () {
    for (const path of ['/', '/book', '/books/1788395549/reviews', '/index.html']) {
      assertError(await get(path), 404, 'not_found');
    }
    assertError(await request(books.port, '/nowhere', { method: 'POST', body: 'x' }), 404, 'not_found');
  });

  it('liveness and readiness answer 200 while running', async function () {
    const health = await get('/healthz');
    assert.equal(health.status, 200);
    assert.deepEqual(JSON.parse(health.body), { status: 'ok' });
    const ready = await get('/readyz');
    assert.equal(ready.status, 200);
    assert.deepEqual(JSON.parse(ready.body), { status: 'ready' });
  });

  it('keeps idle connections 65 s, longer than the gateway upstream idle timeout (30 s)', async function () {
    const response = await request(books.port, '/books', { headers: { connection: 'keep-alive' } });
    assert.equal(response.headers['keep-alive'], 'timeout=65');
  });

  it('logs each request as JSON under the X-Request-Id the gateway sent', async function () {
    const id = `test-${process.pid}-${Date.now()}`;
    await get('/books/1788395549', { 'x-request-id': id });
    const lines = () => books.logs.filter((line) => line.reqId === id);
    await eventually('both log lines', () => lines().length === 2, 2000);
    assert.deepEqual(
      lines().map((line) => line.msg),
      ['incoming request', 'request completed'],
    );
    assert.deepEqual(lines()[1]?.['res'], { statusCode: 200 });
  });

  it('puts the X-Request-Id in error bodies, or the id it generated and logged', async function () {
    const sent = await get('/books/1617293725', { 'x-request-id': 'gateway-chose-this' });
    assert.equal((JSON.parse(sent.body) as ErrorBody).requestId, 'gateway-chose-this');
    const generated = (JSON.parse((await get('/books/1617293725')).body) as ErrorBody).requestId;
    assert.match(generated, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    await eventually('logged', () => books.logs.some((line) => line.reqId === generated), 2000);
  });

  it('answers a request it cannot read with its X-Request-Id in header and body: the one it was sent where the head was read whole', async function () {
    const id = 'gateway-chose-this-one';
    // Node hands the error only the read it failed in: a head in one read (what the gateway sends,
    // at most 8 kB) gives back the id it was sent; a head over the API's 32 kB limit may arrive in
    // several reads, and then gets a fresh id, in its header and body alike.
    const cases: Array<[what: string, raw: string, status: number, recovered: boolean]> = [
      ['control byte in a header value', `GET /books HTTP/1.1\r\nHost: x\r\nX-Request-Id: ${id}\r\nX-Bad: a\x01b\r\n\r\n`, 400, true],
      [
        'headers over the limit',
        `GET /books HTTP/1.1\r\nHost: x\r\nX-Request-Id: ${id}\r\nX-Big: ${'a'.repeat(70000)}\r\n\r\n`,
        431,
        false,
      ],
    ];
    for (const [what, raw, status, recovered] of cases) {
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(books.port, '127.0.0.1', () => socket.end(raw));
        let text = '';
        socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
        socket.on('close', () => resolve(text));
        socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? resolve(text) : reject(error)));
      });
      const [head = '', body = ''] = answer.split('\r\n\r\n');
      assert.match(head, new RegExp(`^HTTP/1\\.1 ${status} `), what);
      // The body names the id the answer carries, whichever it is.
      const sent = /^x-request-id: (.*)$/im.exec(head)?.[1];
      assert.equal((JSON.parse(body) as ErrorBody).requestId, sent, what);
      if (recovered) assert.equal(sent, id, what);
    }
  });

  it('a request that is not HTTP is 400 in the same JSON error shape', async function () {
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(books.port, '127.0.0.1', () => socket.end('NOT HTTP AT ALL\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    const [head = '', body = ''] = raw.split('\r\n\r\n');
    assert.match(head, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(head, /\r\nContent-Type: application\/json; charset=utf-8\r\n/i);
    assert.equal((JSON.parse(body) as ErrorBody).error, 'bad_request');
  });
});
