/**
 * What the gateway does with a write when a books process dies under it, on the real gateway in
 * front of two real books processes and their PostgreSQL: a write that reached the process is
 * never sent to the other (the client gets a JSON 502 and nothing was applied), where a read in
 * the same position is retried; a write that never reached it (its connection refused) is sent to
 * the other and succeeds.
 */
import { strict as assert } from 'node:assert';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BooksProcess, GatewayOptions } from '../../scripts/local/local-system.js';
import { type Reply, request } from '../gateway/support/http.js';
import { useLocalSystem } from '../gateway/support/system.js';
import { isbn10 } from '../support/book-writes.js';
import { pause, resume } from './support/hung-process.js';

const apiKey = 'write-retries-tests-0123456789';
const gatewayOptions: GatewayOptions = {
  auth: { apiKeys: true },
  rateLimit: { requestsPerSecond: 1_000_000, burst: 1_000_000, connectionsPerClient: 60_000 },
};

/** A request still unanswered after `ms`: it went to the paused process. */
async function unansweredAfter(reply: Promise<Reply>, ms: number): Promise<boolean> {
  return Promise.race([reply.then(() => false), sleep(ms).then(() => true)]);
}

describe('writes through the gateway when a books process dies', function () {
  this.timeout(60_000);
  const { system } = useLocalSystem({ gateway: gatewayOptions, gatewaySecrets: { apiKeys: { tests: apiKey } } });
  const url = (path: string) => `${system().gateway.url}${path}`;
  const write = (method: string, path: string, body?: unknown) =>
    request(url(path), {
      method,
      headers: { 'x-api-key': apiKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const titleOf = async (id: number): Promise<string | undefined> => {
    const reply = await request(url(`/books/${id}`));
    return reply.status === 200 ? (JSON.parse(reply.body) as { title: string }).title : undefined;
  };

  /** A books process paused, so that requests routed to it stay in flight there. */
  let paused: BooksProcess | undefined;
  afterEach(async () => {
    if (paused?.process.running) resume(paused);
    else await paused?.start();
    paused = undefined;
  });

  /**
   * Sends `send()` until one stays in flight on the paused first process (the others, on the
   * second, complete), then kills the first: resolves with that request's answer. Within 10 s:
   * after an earlier test's kill, the gateway leaves the process out for its fail_timeout (2 s).
   */
  async function inFlightWhenKilled(send: (attempt: number) => Promise<Reply>): Promise<{ reply: Reply; attempt: number }> {
    paused = system().books[0];
    assert.ok(paused);
    pause(paused);
    const deadline = Date.now() + 10_000;
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      const reply = send(attempt);
      if (await unansweredAfter(reply, 300)) {
        await paused.process.kill();
        return { reply: await reply, attempt };
      }
      await sleep(100);
    }
    throw new Error('no request reached the paused process within 10 s');
  }

  it('answers a PUT in flight on a killed process with a JSON 502, and applies it nowhere', async () => {
    const id = isbn10(1, 950_000_000);
    assert.equal((await write('POST', '/books', { id, title: 'Before' })).status, 201);
    const { reply, attempt } = await inFlightWhenKilled((n) => write('PUT', `/books/${id}`, { title: `Lost ${n}` }));
    assert.equal(reply.status, 502, reply.body);
    assert.match(reply.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal((JSON.parse(reply.body) as { error: string }).error, 'bad_gateway');
    const title = await titleOf(id);
    assert.notEqual(title, `Lost ${attempt}`, 'the write the client was told failed was not applied by the other process');
  });

  it('answers a DELETE in flight on a killed process with a JSON 502, and the book is still there; a second DELETE then removes it, and a third is 404', async () => {
    const ids = Array.from({ length: 100 }, (_, n) => isbn10(400 + n, 950_000_000));
    for (const id of ids) assert.equal((await write('POST', '/books', { id, title: 'Still here' })).status, 201);
    const { reply, attempt } = await inFlightWhenKilled((n) => write('DELETE', `/books/${ids[n]}`));
    assert.equal(reply.status, 502, reply.body);
    const id = ids[attempt];
    assert.equal(await titleOf(id), 'Still here', 'not retried on the other process');
    assert.equal((await write('DELETE', `/books/${id}`)).status, 204);
    const again = await write('DELETE', `/books/${id}`);
    assert.equal(again.status, 404, 'a DELETE of a book that does not exist is 404');
    assert.equal((JSON.parse(again.body) as { error: string }).error, 'not_found');
  });

  it('answers a POST in flight on a killed process with a JSON 502, and stores nothing', async () => {
    const ids = Array.from({ length: 100 }, (_, n) => isbn10(100 + n, 950_000_000));
    const { reply, attempt } = await inFlightWhenKilled((n) => write('POST', '/books', { id: ids[n], title: 'Created once' }));
    assert.equal(reply.status, 502, reply.body);
    assert.equal(await titleOf(ids[attempt]), undefined, 'the create the client was told failed was not applied by the other process');
  });

  it('retries a read in flight on a killed process on the other one', async () => {
    const { reply } = await inFlightWhenKilled(() => request(url('/books/1788395549')));
    assert.equal(reply.status, 200, reply.body);
  });

  it('sends a write whose connection is refused (a process that is gone) to the other process: every write succeeds', async () => {
    const dead = system().books[0];
    assert.ok(dead);
    paused = dead;
    await dead.process.kill();
    const ids = Array.from({ length: 20 }, (_, n) => isbn10(200 + n, 950_000_000));
    for (const id of ids) assert.equal((await write('POST', '/books', { id, title: 'Created' })).status, 201);
    for (const id of ids) assert.equal((await write('PUT', `/books/${id}`, { title: 'Updated' })).status, 200);
    for (const id of ids) assert.equal((await write('DELETE', `/books/${id}`)).status, 204);
  });
});
