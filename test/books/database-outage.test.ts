/**
 * The books API when its database is out of reach: started before it, and while it is killed and
 * restarted. Clients get a JSON 503 with Retry-After at once, never a hang or a 500; the API
 * serves again by itself, and every write it acknowledged is still there. On a PostgreSQL of this
 * suite's own (Debian's), which it kills.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../../scripts/toolkit/eventually.js';
import { type LocalPostgres, postgresUser, prepareLocalPostgres } from '../../scripts/local/postgres';
import { assertError, identity, isbn10 } from './support/answers';
import { freePort } from '../../scripts/toolkit/ports';
import { schemaReady, spawnBooks, type BooksProcess } from './support/books-process';
import { connectionRefused } from './support/raw-connection';
import { request, type HttpResponse } from './support/http-client';

describe('books API with its database out of reach', function () {
  this.timeout(60_000);
  let postgres: LocalPostgres;
  let folder: string;
  let books: BooksProcess;

  const post = (id: number, title: string): Promise<HttpResponse> =>
    request(books.port, '/books', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...identity('alice') },
      body: JSON.stringify({ id, title }),
    });

  /** A 503 in the API's error shape, telling the client when to retry, answered well before the gateway's 5 s timeout. */
  async function assertUnavailable(send: () => Promise<HttpResponse>, what: string): Promise<void> {
    const started = Date.now();
    const response = await send();
    assertError(response, 503, 'service_unavailable');
    assert.equal(response.headers['retry-after'], '2', what);
    assert.ok(Date.now() - started < 4500, `${what}: answered in ${Date.now() - started} ms`);
  }

  before(async function () {
    folder = join(tmpdir(), `books-gateway-outage-${randomBytes(6).toString('hex')}`);
    postgres = await prepareLocalPostgres({
      folder,
      user: await postgresUser(),
      onOutput: () => undefined,
      onUnexpectedExit: () => undefined,
    });
    await postgres.start();
  });
  after(async function () {
    await books?.kill();
    await postgres?.process.stop('SIGINT');
    await rm(folder, { recursive: true, force: true });
  });

  it('started before its database: refuses connections (the gateway tries another process) until the database exists, then serves it migrated', async function () {
    books = spawnBooks(await freePort(), { DATABASE_URL: postgres.url('books') });
    await eventually(
      'it retries the migrations',
      () => books.logs.some((line) => /could not be brought up to date/.test(line.msg)),
      10_000,
      50,
    );
    assert.ok(await connectionRefused(books.port), 'no connection is accepted before the schema is up to date');
    assert.equal(books.child.exitCode, null, 'it waits rather than exits');
    await postgres.createDatabase('books');
    await eventually(
      'serving once the database exists',
      async () => (await request(books.port, '/books').catch(() => undefined))?.status === 200,
      15_000,
      100,
    );
    assert.ok(books.logs.some((line) => line.msg === schemaReady));
    assert.equal((JSON.parse((await request(books.port, '/books')).body) as unknown[]).length, 6, 'the seed books');
    assert.equal((await request(books.port, '/readyz')).status, 200);
  });

  it('while the database is killed: 503 with Retry-After at once, never a hang; then serves again with every acknowledged write', async function () {
    const acknowledged: number[] = [];
    for (let n = 0; n < 10; n++) {
      const id = isbn10(n, 700_000_000);
      if ((await post(id, `Before the crash ${n}`)).status === 201) acknowledged.push(id);
    }
    assert.equal(acknowledged.length, 10);
    await postgres.process.kill();
    for (let attempt = 0; attempt < 3; attempt++) {
      await assertUnavailable(() => request(books.port, '/books'), `GET /books, try ${attempt}`);
      await assertUnavailable(() => request(books.port, `/books/${acknowledged[0]}`), `GET /books/:id, try ${attempt}`);
      await assertUnavailable(() => post(isbn10(100 + attempt, 700_000_000), 'During the outage'), `POST, try ${attempt}`);
    }
    assert.equal(
      (await request(books.port, '/readyz')).status,
      200,
      'still ready: the client gets its 503 from the API, not a 502 for no pod',
    );
    await postgres.start();
    await eventually('serving again', async () => (await request(books.port, '/books')).status === 200, 15_000, 100);
    const stored = new Set((JSON.parse((await request(books.port, '/books?limit=200')).body) as { id: number }[]).map((book) => book.id));
    for (const id of acknowledged) assert.ok(stored.has(id), `${id}, acknowledged before the crash, survived it`);
    assert.equal((await post(isbn10(200, 700_000_000), 'After the crash')).status, 201);
  });
});
