import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { startBooks, within, type BooksProcess } from './support/books-process';
import { eventually } from '../../scripts/toolkit/eventually.js';
import { request } from './support/http-client';
import { connectionRefused, RawConnection } from './support/raw-connection';

interface Outcome {
  requestId: string;
  status?: number;
  body?: string;
  errorCode?: string;
}

/**
 * `workers` clients sending GET /books back to back through one keep-alive pool (as the
 * gateway does), each request with its own X-Request-Id, until the port refuses connections.
 */
async function loadUntilRefused(port: number, workers: number, agent: Agent): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      for (let n = 0; ; n++) {
        const requestId = `load-${worker}-${n}`;
        try {
          const response = await request(port, '/books', { agent, headers: { 'x-request-id': requestId } });
          outcomes.push({ requestId, status: response.status, body: response.body });
        } catch (error) {
          const errorCode = (error as NodeJS.ErrnoException).code ?? String(error);
          outcomes.push({ requestId, errorCode });
          if (errorCode === 'ECONNREFUSED') return;
        }
      }
    }),
  );
  return outcomes;
}

describe('books API shutdown', function () {
  let books: BooksProcess | undefined;
  const connections: RawConnection[] = [];

  afterEach(async function () {
    for (const connection of connections.splice(0)) connection.destroy();
    await books?.kill();
  });

  async function openConnection(port: number): Promise<RawConnection> {
    const connection = await RawConnection.open(port);
    connections.push(connection);
    return connection;
  }

  it('on SIGTERM under load: refuses new connections, finishes accepted requests, exits 0', async function () {
    const { port } = (books = await startBooks());

    // Idle keep-alive connections, as a gateway's upstream pool holds them.
    const idle = await Promise.all([1, 2, 3].map(() => openConnection(port)));
    for (const [i, connection] of idle.entries()) {
      assert.equal((await connection.get('/healthz', `idle-${i}`)).status, 200);
    }

    // Two requests in flight: headers half sent, finished only after SIGTERM.
    const inFlightBooks = await openConnection(port);
    const inFlightReady = await openConnection(port);
    inFlightBooks.startGet('/books', 'in-flight-books');
    inFlightReady.startGet('/readyz', 'in-flight-readyz');
    await new Promise((wake) => setTimeout(wake, 100));

    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const load = loadUntilRefused(port, 16, agent);
    await eventually('load under way', () => books!.logs.filter((l) => l.msg === 'incoming request').length > 50, 5000);

    books.child.kill('SIGTERM');
    const sigtermAt = Date.now();
    await eventually('new connections refused', () => connectionRefused(port), 3000);
    await within(3000, 'idle keep-alive connections closed by the server', Promise.all(idle.map((c) => c.closed)));
    assert.equal(books.child.exitCode, null, 'still running: two requests are in flight');

    inFlightBooks.finishRequest();
    inFlightReady.finishRequest();
    const booksResponse = await inFlightBooks.nextResponse();
    assert.equal(booksResponse.status, 200);
    assert.equal(booksResponse.headers['connection'], 'close');
    assert.ok((JSON.parse(booksResponse.body) as unknown[]).length >= 5);
    const readyResponse = await inFlightReady.nextResponse();
    assert.equal(readyResponse.status, 503, 'readiness fails once shutdown has begun');
    assert.equal((JSON.parse(readyResponse.body) as { error: string }).error, 'service_unavailable');

    const exit = await within(3000, 'exit after the last request', books.exited);
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(Date.now() - sigtermAt < 5000);

    const outcomes = await within(5000, 'load finished', load);
    agent.destroy();
    const accepted = new Set(books.logs.filter((l) => l.msg === 'incoming request').map((l) => l.reqId));
    const served = outcomes.filter((o) => accepted.has(o.requestId));
    assert.ok(served.length > 50, `load was served before the shutdown (${served.length})`);
    for (const outcome of served) {
      assert.equal(outcome.status, 200, `accepted request ${outcome.requestId} failed: ${outcome.errorCode}`);
      assert.ok(Array.isArray(JSON.parse(outcome.body ?? '')), `${outcome.requestId} got a whole list`);
    }
    for (const outcome of outcomes.filter((o) => !accepted.has(o.requestId))) {
      assert.ok(
        ['ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(outcome.errorCode ?? ''),
        `${outcome.requestId}, never accepted, must fail to connect, not ${outcome.status ?? outcome.errorCode}`,
      );
    }
    assert.ok(books.logs.some((l) => l.msg === 'shutdown complete'));
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`exits 0 promptly on ${signal} when idle`, async function () {
      books = await startBooks();
      books.child.kill(signal);
      assert.deepEqual(await within(3000, 'exit', books.exited), { code: 0, signal: null });
    });
  }

  it('gives up on a request that never completes after SHUTDOWN_TIMEOUT_MS, exiting 1', async function () {
    books = await startBooks({ SHUTDOWN_TIMEOUT_MS: '500' });
    const stuck = await openConnection(books.port);
    stuck.startGet('/books', 'never-finished');
    await new Promise((wake) => setTimeout(wake, 100));
    const sigtermAt = Date.now();
    books.child.kill('SIGTERM');
    assert.deepEqual(await within(3000, 'exit', books.exited), { code: 1, signal: null });
    assert.ok(Date.now() - sigtermAt >= 450, 'waited for the request first');
    await within(1000, 'connection dropped', stuck.closed);
  });
});
