import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { spawnBooks, within, type BooksProcess } from './support/books-process';
import { freePort } from '../../scripts/local/ports';

describe('books API startup', function () {
  let books: BooksProcess | undefined;
  let blocker: Server | undefined;

  afterEach(async function () {
    await books?.kill();
    await new Promise((resolve) => (blocker ? blocker.close(resolve) : resolve(undefined)));
    blocker = undefined;
  });

  it('exits 1 naming the variable when the environment is invalid', async function () {
    const cases: { env: Record<string, string>; says: RegExp }[] = [
      { env: { PORT: 'http' }, says: /PORT must be an integer from 0 to 65535, got "http"/ },
      { env: { LOG_LEVEL: 'loud' }, says: /LOG_LEVEL must be one of fatal, error, warn, info/ },
      { env: { SHUTDOWN_TIMEOUT_MS: '-1' }, says: /SHUTDOWN_TIMEOUT_MS must be an integer/ },
    ];
    for (const { env, says } of cases) {
      books = spawnBooks(await freePort(), env);
      assert.deepEqual(await within(10_000, 'exit', books.exited), { code: 1, signal: null });
      assert.match(books.stderr(), says);
    }
  });

  it('exits 1 with a clear log line when the port is taken', async function () {
    const port = await freePort();
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(port, '127.0.0.1', resolve));
    books = spawnBooks(port);
    assert.deepEqual(await within(10_000, 'exit', books.exited), { code: 1, signal: null });
    const fatal = books.logs.find((line) => line.msg === `cannot listen on 127.0.0.1:${port}`);
    assert.ok(fatal, JSON.stringify(books.logs));
    assert.match(JSON.stringify(fatal['err']), /EADDRINUSE/);
  });
});
