/**
 * Two books processes on one PostgreSQL, as two replicas are: they migrate a new database once
 * between them, and concurrent writes through both store every create, give one id one 201, and
 * leave a book with one whole title.
 */
import assert from 'node:assert/strict';
import { freePort } from '../../scripts/toolkit/ports';
import { testDatabaseUrl } from '../support/postgres';
import { assertError, identity, isbn10 } from './support/answers';
import { schemaReady, spawnBooks, within, type BooksProcess } from './support/books-process';
import { request, type HttpResponse } from './support/http-client';
import { eventually } from '../../scripts/toolkit/eventually.js';

describe('books API: two replicas on one database', function () {
  let replicas: BooksProcess[] = [];

  const post = (books: BooksProcess, id: number, title: string, subject = 'alice'): Promise<HttpResponse> =>
    request(books.port, '/books', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...identity(subject) },
      body: JSON.stringify({ id, title }),
    });
  const list = async (books: BooksProcess) =>
    JSON.parse((await request(books.port, '/books?limit=200')).body) as { id: number; title: string }[];

  before(async function () {
    this.timeout(60_000);
    // Started together on a new database: each runs the migrations at start.
    const url = await testDatabaseUrl();
    replicas = await Promise.all([freePort(), freePort()]).then((ports) => ports.map((port) => spawnBooks(port, { DATABASE_URL: url })));
    // Each listens only once its schema is ready: wait for both, or the first request may be refused.
    const serving = (books: BooksProcess) =>
      books.logs.some((line) => line.msg === schemaReady) && books.logs.some((line) => line.msg.startsWith('Server listening at'));
    await within(
      30_000,
      'both replicas serve',
      Promise.all(replicas.map((books) => eventually('migrated and listening', () => serving(books), 30_000))),
    );
  });
  after(async function () {
    await Promise.all(replicas.map((books) => books.kill()));
  });

  it('migrate a new database once between them: one set of seed books, both serving it', async function () {
    const [first, second] = replicas as [BooksProcess, BooksProcess];
    const books = await list(first);
    assert.equal(books.length, 6, 'the seed books, inserted once');
    assert.deepEqual(await list(second), books);
    const migrated = replicas.flatMap((replica) => replica.logs.filter((line) => /Migrating files/.test(line.msg)));
    assert.equal(migrated.length, 1, 'one replica ran the migration, the other waited for its lock and found nothing to do');
  });

  it('store all of 50 concurrent creates of distinct ids, spread over both', async function () {
    const ids = Array.from({ length: 50 }, (_, n) => isbn10(n, 400_000_000));
    const answers = await Promise.all(ids.map((id, n) => post(replicas[n % 2], id, `Concurrent ${n}`)));
    assert.deepEqual(
      answers.map((answer) => answer.status),
      ids.map(() => 201),
    );
    const stored = new Map((await list(replicas[0])).map((book) => [book.id, book.title]));
    for (const [n, id] of ids.entries()) assert.equal(stored.get(id), `Concurrent ${n}`);
  });

  it('answer two concurrent creates of one id, one on each, with one 201 and one 409, twenty times over', async function () {
    for (let round = 0; round < 20; round++) {
      const id = isbn10(round, 500_000_000);
      const answers = await Promise.all(replicas.map((books, n) => post(books, id, `Contender ${n}`, `writer-${n}`)));
      const statuses = answers.map((answer) => answer.status).sort();
      assert.deepEqual(statuses, [201, 409], `round ${round}`);
      const winner = answers.find((answer) => answer.status === 201)!;
      assertError(
        answers.find((answer) => answer.status === 409)!,
        409,
        'conflict',
      );
      const stored = JSON.parse((await request(replicas[0].port, `/books/${id}`)).body) as { title: string; createdBy: string };
      const written = JSON.parse(winner.body) as { title: string; createdBy: string };
      assert.deepEqual({ title: stored.title, createdBy: stored.createdBy }, { title: written.title, createdBy: written.createdBy });
    }
  });

  it('leave one of the written titles after concurrent updates of one book, with its writer, never a mix', async function () {
    const id = isbn10(0, 600_000_000);
    assert.equal((await post(replicas[0], id, 'Before')).status, 201);
    // Long, distinct titles: a mix of two would show.
    const titles = Array.from({ length: 20 }, (_, n) => `${String.fromCharCode(65 + n).repeat(400)} ${n}`);
    const answers = await Promise.all(
      titles.map((title, n) =>
        request(replicas[n % 2].port, `/books/${id}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json', ...identity(`writer-${n}`) },
          body: JSON.stringify({ title }),
        }),
      ),
    );
    assert.deepEqual(
      answers.map((answer) => answer.status),
      titles.map(() => 200),
    );
    const stored = JSON.parse((await request(replicas[1].port, `/books/${id}`)).body) as { title: string; updatedBy: string };
    const n = titles.indexOf(stored.title);
    assert.ok(n >= 0, `the title is one of those written, whole: ${stored.title.slice(0, 20)}...`);
    assert.equal(stored.updatedBy, `writer-${n}`, 'updatedBy is the writer of that title');
  });
});
