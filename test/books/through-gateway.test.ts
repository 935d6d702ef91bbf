/**
 * Every route of the books API as a client reaches it: through the real gateway (nginx, its
 * JWT and API-key checks) in front of the real API on a real PostgreSQL, as `npm run local` runs
 * them, once with a token and once with an API key. Each answer a client can get is checked, and
 * who the records say wrote them: the token's `sub` or the key's client, whatever a client
 * claims in the identity headers itself.
 */
import assert from 'node:assert/strict';
import { eventually } from '../../scripts/toolkit/eventually.js';
import { isbn10 } from '../support/book-writes.js';
import { type Reply, request } from '../gateway/support/http.js';
import { useLocalSystem } from '../gateway/support/system.js';
import { jwtSettings, signToken, testIssuer, validClaims } from '../gateway/support/tokens.js';

const issuer = testIssuer();
const robotKey = 'robot-key-0123456789-abcdefghij';

interface BookRecord {
  id: number;
  title: string;
  createdBy: string;
  updatedBy: string;
}

/** The API's JSON error, with the gateway's request id in it. */
function assertJsonError(reply: Reply, status: number, error: string, what: string): string {
  assert.equal(reply.status, status, `${what}: ${reply.body}`);
  const body = JSON.parse(reply.body) as { error: string; message: string; requestId: string };
  assert.equal(body.error, error, what);
  assert.equal(body.requestId, reply.headers.get('x-request-id'), `${what}: the request id`);
  return body.message;
}

describe('the books API through the gateway, on PostgreSQL', function () {
  this.timeout(30_000);
  const { system } = useLocalSystem({
    gateway: { auth: { jwt: { ...jwtSettings, algorithms: ['RS256', 'ES256'] }, apiKeys: true } },
    gatewaySecrets: { jwks: issuer.jwks, apiKeys: { robot: robotKey } },
  });
  const url = (path: string) => `${system().gateway.url}${path}`;
  const callers: Array<[how: string, subject: string, credentials: () => Record<string, string>]> = [
    ['a JWT', 'alice', () => ({ authorization: `Bearer ${signToken(issuer, 'RS256', validClaims({ sub: 'alice' }))}` })],
    ['an API key', 'robot', () => ({ 'x-api-key': robotKey })],
  ];

  callers.forEach(([how, subject, credentials], caller) => {
    describe(`with ${how}`, () => {
      const id = isbn10(caller, 410_000_000);
      const write = (method: string, path: string, body?: string, contentType = 'application/json') =>
        request(url(path), { method, body, headers: { ...credentials(), ...(body === undefined ? {} : { 'content-type': contentType }) } });
      const read = async (bookId: number) => JSON.parse((await request(url(`/books/${bookId}`))).body) as BookRecord;

      it(`creates a book written by ${subject}: 201 with its Location, then 409 for its id again`, async () => {
        const created = await write('POST', '/books', JSON.stringify({ id, title: 'Release It!' }));
        assert.equal(created.status, 201, created.body);
        assert.equal(created.headers.get('location'), `/books/${id}`);
        const book = JSON.parse(created.body) as BookRecord;
        assert.deepEqual([book.id, book.title, book.createdBy, book.updatedBy], [id, 'Release It!', subject, subject]);
        assert.deepEqual(await read(id), book, 'GET of its Location reads it back');
        assertJsonError(await write('POST', '/books', JSON.stringify({ id, title: 'Another' })), 409, 'conflict', 'a second create');
        assert.equal((await read(id)).title, 'Release It!');
      });

      it('refuses a bad body with 400 naming each field, and one that is not JSON with 415, storing nothing', async () => {
        const message = assertJsonError(
          await write('POST', '/books', JSON.stringify({ id: 1788395540, title: '' })),
          400,
          'bad_request',
          'bad fields',
        );
        assert.match(message, /id 1788395540 has a wrong check digit/);
        assert.match(message, /title/);
        assertJsonError(
          await write('POST', '/books', 'id=1&title=x', 'application/x-www-form-urlencoded'),
          415,
          'unsupported_media_type',
          'a form',
        );
        assertJsonError(await request(url('/books/1788395540')), 400, 'bad_request', 'that id, read');
      });

      it(`replaces a title as ${subject}, keeping who created it, and answers 404 for a book that does not exist`, async () => {
        const [, otherSubject, otherCredentials] = callers[(caller + 1) % callers.length];
        const other = isbn10(caller, 420_000_000);
        const created = await request(url('/books'), {
          method: 'POST',
          body: JSON.stringify({ id: other, title: 'First title' }),
          headers: { ...otherCredentials(), 'content-type': 'application/json' },
        });
        assert.equal(created.status, 201, created.body);
        const replaced = await write('PUT', `/books/${other}`, JSON.stringify({ title: 'Second title' }));
        assert.equal(replaced.status, 200, replaced.body);
        const book = JSON.parse(replaced.body) as BookRecord;
        assert.deepEqual([book.title, book.createdBy, book.updatedBy], ['Second title', otherSubject, subject]);
        assertJsonError(
          await write('PUT', `/books/${isbn10(caller, 430_000_000)}`, JSON.stringify({ title: 'Nobody' })),
          404,
          'not_found',
          'PUT of no book',
        );
      });

      it('deletes a book: 204 without a body, then 404 for it and for a second DELETE', async () => {
        const deleted = await write('DELETE', `/books/${id}`);
        assert.equal(deleted.status, 204, deleted.body);
        assert.equal(deleted.body, '');
        assertJsonError(await request(url(`/books/${id}`)), 404, 'not_found', 'GET of the deleted book');
        assertJsonError(await write('DELETE', `/books/${id}`), 404, 'not_found', 'a second DELETE');
      });

      it(`records ${subject} whatever identity the client sends itself`, async () => {
        const forgedId = isbn10(caller, 440_000_000);
        const created = await request(url('/books'), {
          method: 'POST',
          body: JSON.stringify({ id: forgedId, title: 'Forged?' }),
          headers: { ...credentials(), 'content-type': 'application/json', 'x-auth-subject': 'mallory', 'x-auth-method': 'jwt' },
        });
        assert.equal(created.status, 201, created.body);
        assert.deepEqual([(JSON.parse(created.body) as BookRecord).createdBy], [subject]);
      });
    });
  });

  // A suite of its own: mocha runs a suite's tests before its child suites', and these read what those wrote.
  describe('reads, and the database out of reach', () => {
    it('pages GET /books for anyone by limit and the Link header, every book once', async () => {
      const seen: number[] = [];
      for (let path: string | undefined = '/books?limit=2'; path !== undefined;) {
        const page = await request(url(path));
        assert.equal(page.status, 200, page.body);
        const books = JSON.parse(page.body) as BookRecord[];
        assert.ok(books.length <= 2);
        seen.push(...books.map((book) => book.id));
        path = /^<([^>]+)>; rel="next"$/.exec(page.headers.get('link') ?? '')?.[1];
      }
      assert.deepEqual(
        seen,
        [...new Set(seen)].sort((a, b) => a - b),
        'in id order, none twice',
      );
      assert.ok(seen.includes(1788395549) && seen.includes(isbn10(0, 420_000_000)), 'the seed books and the written ones');
      assertJsonError(await request(url('/books?limit=500')), 400, 'bad_request', 'a limit above 200');
    });

    it("answers writes and reads with the API's 503 and Retry-After while PostgreSQL is down, and serves again once it is back", async () => {
      await system().postgres.process.kill();
      try {
        const [, , credentials] = callers[0];
        const write = await request(url('/books'), {
          method: 'POST',
          body: JSON.stringify({ id: isbn10(0, 450_000_000), title: 'During the outage' }),
          headers: { ...credentials(), 'content-type': 'application/json' },
        });
        assertJsonError(write, 503, 'service_unavailable', 'a write');
        assert.equal(write.headers.get('retry-after'), '2');
        assertJsonError(await request(url('/books')), 503, 'service_unavailable', 'a read');
      } finally {
        await system().postgres.start();
      }
      await eventually('the books are served again', async () => (await request(url('/books/1788395549'))).status === 200, 10_000, 100);
    });
  });
});
