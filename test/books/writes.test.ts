/**
 * Writes on the books API over HTTP, on a real PostgreSQL: every answer a client can get, who
 * each record says wrote it (the gateway's identity headers), and paging through GET /books.
 */
import assert from 'node:assert/strict';
import { startBooks, type BooksProcess } from './support/books-process';
import { assertError, identity, isbn10 } from './support/answers';
import { request, type HttpResponse } from './support/http-client';

interface BookRecord {
  id: number;
  title: string;
  createdBy: string;
  createdAt: string;
  updatedBy: string;
  updatedAt: string;
}

describe('books API writes', function () {
  let books: BooksProcess;
  const alice = identity('alice');
  const inventory = identity('inventory-sync', 'api-key');

  const send = (method: string, path: string, body: unknown, headers: Record<string, string> = alice): Promise<HttpResponse> =>
    request(books.port, path, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const read = async (id: number): Promise<BookRecord | undefined> => {
    const response = await request(books.port, `/books/${id}`);
    return response.status === 200 ? (JSON.parse(response.body) as BookRecord) : undefined;
  };
  const message = (response: HttpResponse): string => (JSON.parse(response.body) as { message: string }).message;

  before(async function () {
    books = await startBooks();
  });
  after(async function () {
    await books?.kill();
  });

  it('POST /books creates a book: 201, its Location, the record with createdBy the caller', async function () {
    const id = isbn10(1);
    const response = await send('POST', '/books', { id, title: '  Kubernetes in Action  ' });
    assert.equal(response.status, 201, response.body);
    assert.equal(response.headers['location'], `/books/${id}`);
    const created = JSON.parse(response.body) as BookRecord;
    assert.equal(created.title, 'Kubernetes in Action', 'the title, trimmed');
    assert.equal(created.createdBy, 'alice');
    assert.equal(created.updatedBy, 'alice');
    assert.equal(created.createdAt, created.updatedAt);
    assert.ok(Math.abs(Date.parse(created.createdAt) - Date.now()) < 60_000, 'created now');
    assert.deepEqual(await read(id), created, 'GET returns what POST answered');
  });

  it('POST of an id that exists is 409, and the book keeps its title', async function () {
    const id = isbn10(2);
    assert.equal((await send('POST', '/books', { id, title: 'First' })).status, 201);
    const again = await send('POST', '/books', { id, title: 'Second' }, inventory);
    assertError(again, 409, 'conflict');
    assert.match(message(again), new RegExp(`${id} exists`));
    assert.equal((await read(id))?.title, 'First');
  });

  it('PUT /books/:id replaces the title: 200, updatedBy the caller, createdBy kept', async function () {
    const id = isbn10(3);
    const created = JSON.parse((await send('POST', '/books', { id, title: 'Old title' })).body) as BookRecord;
    const response = await send('PUT', `/books/${id}`, { title: 'New title' }, inventory);
    assert.equal(response.status, 200, response.body);
    const updated = JSON.parse(response.body) as BookRecord;
    assert.deepEqual(
      { title: updated.title, createdBy: updated.createdBy, updatedBy: updated.updatedBy, createdAt: updated.createdAt },
      { title: 'New title', createdBy: 'alice', updatedBy: 'inventory-sync', createdAt: created.createdAt },
    );
    assert.ok(Date.parse(updated.updatedAt) >= Date.parse(created.updatedAt));
    assert.equal((await send('PUT', `/books/${id}`, { id, title: 'With its own id' })).status, 200, 'the path id in the body is accepted');
    assert.deepEqual(await read(id), { ...updated, title: 'With its own id', updatedBy: 'alice', updatedAt: (await read(id))?.updatedAt });
  });

  it('DELETE /books/:id removes the book: 204 without a body, then 404 for it and for a second DELETE', async function () {
    const id = isbn10(4);
    assert.equal((await send('POST', '/books', { id, title: 'Short-lived' })).status, 201);
    const response = await send('DELETE', `/books/${id}`, undefined);
    assert.equal(response.status, 204);
    assert.equal(response.body, '');
    assertError(await request(books.port, `/books/${id}`), 404, 'not_found');
    assertError(await send('DELETE', `/books/${id}`, undefined), 404, 'not_found');
  });

  it('PUT and DELETE of an unknown book are 404', async function () {
    assertError(await send('PUT', `/books/${isbn10(5)}`, { title: 'Nobody' }), 404, 'not_found');
    assertError(await send('DELETE', `/books/${isbn10(5)}`, undefined), 404, 'not_found');
  });

  it('a bad body is 400 naming every bad field, the check digit included, and stores nothing', async function () {
    const before = (await request(books.port, '/books?limit=200')).body;
    const cases: Array<[body: unknown, says: RegExp[]]> = [
      [{ id: 1788395540, title: 'x' }, [/id 1788395540 has a wrong check digit/]],
      [{ id: 17883955, title: '' }, [/id must be an ISBN-10 of ten digits/, /title must not be empty/]],
      [{ id: '1788395549', title: 42 }, [/id must be a number/, /title must be a string/]],
      [{ title: 'No id' }, [/id is required/]],
      [{ id: isbn10(6) }, [/title is required/]],
      [{ id: isbn10(6), title: 'x'.repeat(501) }, [/title must be at most 500 characters, got 501/]],
      [{ id: isbn10(6), title: 'two\nlines' }, [/title must not contain control characters/]],
      [{ id: isbn10(6), title: 'x', titel: 'typo' }, [/"titel" is not a field of a book/]],
      [[{ id: isbn10(6), title: 'x' }], [/the body must be a JSON object/]],
      [null, [/the body must be a JSON object/]],
    ];
    for (const [body, says] of cases) {
      const response = await send('POST', '/books', body);
      assertError(response, 400, 'bad_request');
      for (const pattern of says) assert.match(message(response), pattern, JSON.stringify(body));
    }
    const id = isbn10(7);
    assert.equal((await send('POST', '/books', { id, title: 'Kept' })).status, 201);
    const put = await send('PUT', `/books/${id}`, { id: isbn10(8), title: '' });
    assertError(put, 400, 'bad_request');
    assert.match(message(put), /id must be the path's id/);
    assert.match(message(put), /title must not be empty/);
    assertError(await send('PUT', '/books/1788395540', { title: 'x' }), 400, 'bad_request');
    assertError(await send('DELETE', '/books/1788395540', undefined), 400, 'bad_request');
    assert.equal((await read(id))?.title, 'Kept');
    const after = JSON.parse((await request(books.port, '/books?limit=200')).body) as BookRecord[];
    assert.equal(after.length, (JSON.parse(before) as unknown[]).length + 1, 'only the one valid create was stored');
  });

  it('a body that is not JSON is 415, one that is malformed, empty or too large 400 or 413, all in the error shape', async function () {
    const raw = (headers: Record<string, string>, body: string) =>
      request(books.port, '/books', { method: 'POST', headers: { ...alice, ...headers }, body });
    assertError(await raw({ 'content-type': 'text/plain' }, 'id=1'), 415, 'unsupported_media_type');
    assertError(await raw({ 'content-type': 'application/x-www-form-urlencoded' }, 'id=1'), 415, 'unsupported_media_type');
    assertError(await raw({ 'content-type': 'application/json' }, '{"id": 1, '), 400, 'bad_request');
    assertError(await raw({ 'content-type': 'application/json' }, ''), 400, 'bad_request');
    assertError(await raw({ 'content-type': 'application/json' }, '{"__proto__": {"x": 1}}'), 400, 'bad_request');
    assertError(
      await raw({ 'content-type': 'application/json' }, JSON.stringify({ id: isbn10(9), title: 'x'.repeat(20_000) })),
      413,
      'payload_too_large',
    );
    assertError(
      await send('PUT', `/books/${isbn10(9)}`, undefined, { ...alice, 'content-type': 'text/csv' }),
      415,
      'unsupported_media_type',
    );
  });

  it('a write without the gateway identity is 403 before its body is read, and changes nothing', async function () {
    const id = isbn10(10);
    const without: Array<Record<string, string>> = [
      {},
      { 'x-auth-subject': 'alice' },
      { 'x-auth-method': 'jwt' },
      { 'x-auth-subject': 'alice', 'x-auth-method': 'password' },
      { 'x-auth-subject': '', 'x-auth-method': 'jwt' },
      { 'x-auth-subject': 'a'.repeat(257), 'x-auth-method': 'jwt' },
    ];
    for (const headers of without) {
      const response = await send('POST', '/books', { id, title: 'Sneaked in' }, headers);
      assertError(response, 403, 'forbidden');
      assert.match(message(response), /only through the gateway/, JSON.stringify(headers));
    }
    assertError(await send('POST', '/books', 'not even json', { 'content-type': 'text/plain' }), 403, 'forbidden');
    assertError(await send('PUT', '/books/1788395549', { title: 'Hijacked' }, {}), 403, 'forbidden');
    assertError(await send('DELETE', '/books/1788395549', undefined, {}), 403, 'forbidden');
    assert.equal(await read(id), undefined);
    assert.equal((await read(1788395549))?.title, 'Learning Node.js Development');
  });

  it('GET /books pages with limit and a cursor named in a Link header, and the pages hold every book once', async function () {
    for (let n = 100; n < 110; n++)
      assert.equal((await send('POST', '/books', { id: isbn10(n, 900_000_000), title: `Paged ${n}` })).status, 201);
    const all = JSON.parse((await request(books.port, '/books?limit=200')).body) as BookRecord[];
    const seen: number[] = [];
    let path: string | undefined = '/books?limit=4';
    for (let pages = 0; path !== undefined; pages++) {
      assert.ok(pages < 20, 'the pages end');
      const response = await request(books.port, path);
      assert.equal(response.status, 200);
      const page = JSON.parse(response.body) as BookRecord[];
      assert.ok(Array.isArray(page) && page.length <= 4, 'a JSON array of at most limit books');
      seen.push(...page.map((book) => book.id));
      const link = response.headers['link'];
      assert.ok(typeof link === 'string' || link === undefined, 'one Link header at most');
      path = link === undefined ? undefined : /^<([^>]+)>; rel="next"$/.exec(link)?.[1];
      if (link !== undefined) assert.ok(path?.startsWith('/books?limit=4&cursor='), link);
    }
    assert.deepEqual(
      seen,
      all.map((book) => book.id),
      'every book, once, in order',
    );
    assert.ok(seen.length >= 16);
    const first = await request(books.port, '/books');
    assert.equal((JSON.parse(first.body) as unknown[]).length, Math.min(50, all.length), 'the default limit is 50');
  });

  it('bad paging parameters are 400 naming the parameter', async function () {
    for (const query of ['limit=0', 'limit=201', 'limit=abc', 'limit=-1', 'limit=1.5']) {
      const response = await request(books.port, `/books?${query}`);
      assertError(response, 400, 'bad_request');
      assert.match(message(response), /limit must be a whole number from 1 to 200/, query);
    }
    for (const query of ['cursor=', 'cursor=%ff', 'cursor=bm90IGFuIGlk', `cursor=${'A'.repeat(40)}`]) {
      const response = await request(books.port, `/books?${query}`);
      assertError(response, 400, 'bad_request');
      assert.match(message(response), /cursor is not one this API gave/, query);
    }
    const both = await request(books.port, '/books?limit=0&cursor=x');
    assert.match(message(both), /limit .*; cursor /);
  });
});
