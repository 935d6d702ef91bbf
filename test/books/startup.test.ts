import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { spawnBooks, within, type BooksProcess } from './support/books-process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/toolkit/ports';
import { testDatabaseUrl } from '../support/postgres';

/** A database URL nobody serves: startup checks that fail come before any connection. */
const UNSERVED_DATABASE = 'postgres://books:s3cret-in-the-url@127.0.0.1:1/books';

describe('books API startup', function () {
  let books: BooksProcess | undefined;
  let blocker: Server | undefined;

  afterEach(async function () {
    await books?.kill();
    await new Promise((resolve) => (blocker ? blocker.close(resolve) : resolve(undefined)));
    blocker = undefined;
  });

  it('exits 1 naming the variable when the environment is invalid, never quoting the database URL', async function () {
    const folder = mkdtempSync(join(tmpdir(), 'books-startup-'));
    const urlFile = join(folder, 'url');
    writeFileSync(urlFile, 'mysql://books:s3cret-in-the-url@db/books\n');
    const cases: { env: Record<string, string>; says: RegExp }[] = [
      { env: { PORT: 'http', DATABASE_URL: UNSERVED_DATABASE }, says: /PORT must be an integer from 0 to 65535, got "http"/ },
      { env: { LOG_LEVEL: 'loud', DATABASE_URL: UNSERVED_DATABASE }, says: /LOG_LEVEL must be one of fatal, error, warn, info/ },
      { env: { SHUTDOWN_TIMEOUT_MS: '-1', DATABASE_URL: UNSERVED_DATABASE }, says: /SHUTDOWN_TIMEOUT_MS must be an integer/ },
      { env: {}, says: /DATABASE_URL \(or DATABASE_URL_FILE\) must name the PostgreSQL database/ },
      {
        env: { DATABASE_URL: 'mysql://books:s3cret-in-the-url@db/books' },
        says: /DATABASE_URL must start with postgres:\/\/ or postgresql:\/\/, not mysql:/,
      },
      { env: { DATABASE_URL: 'not a url s3cret-in-the-url' }, says: /DATABASE_URL is not a URL/ },
      { env: { DATABASE_URL_FILE: urlFile }, says: new RegExp(`the URL in ${urlFile} must start with postgres://`) },
      { env: { DATABASE_URL_FILE: join(folder, 'missing') }, says: /DATABASE_URL_FILE names .*missing, which cannot be read \(ENOENT\)/ },
      { env: { DATABASE_URL_FILE: urlFile, DATABASE_URL: UNSERVED_DATABASE }, says: /DATABASE_URL and DATABASE_URL_FILE are both set/ },
      { env: { DATABASE_URL: UNSERVED_DATABASE, DATABASE_POOL_SIZE: '0' }, says: /DATABASE_POOL_SIZE must be an integer from 1 to 100/ },
    ];
    try {
      for (const { env, says } of cases) {
        books = spawnBooks(await freePort(), { DATABASE_URL: '', ...env });
        assert.deepEqual(await within(10_000, 'exit', books.exited), { code: 1, signal: null });
        assert.match(books.stderr(), says);
        assert.doesNotMatch(books.stderr(), /s3cret-in-the-url/, 'the password is never printed');
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('exits 1 with a clear log line when the port is taken', async function () {
    const port = await freePort();
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(port, '127.0.0.1', resolve));
    books = spawnBooks(port, { DATABASE_URL: await testDatabaseUrl() });
    assert.deepEqual(await within(10_000, 'exit', books.exited), { code: 1, signal: null });
    const fatal = books.logs.find((line) => line.msg === `cannot listen on 127.0.0.1:${port}`);
    assert.ok(fatal, JSON.stringify(books.logs));
    assert.match(JSON.stringify(fatal['err']), /EADDRINUSE/);
  });
});
