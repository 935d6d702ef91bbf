import { strict as assert } from 'node:assert';
import { type Socket, createConnection } from 'node:net';
import { useEchoGateway } from './support/echo-gateway.js';

/** A connection to the gateway, and when (ms after opening) it was closed by the gateway. */
interface HeldConnection {
  socket: Socket;
  /** Everything the gateway sent. */
  received: () => string;
  closed: Promise<number>;
}

function hold(port: number): HeldConnection {
  const started = Date.now();
  const socket = createConnection({ host: '127.0.0.1', port });
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  // nginx resets a timed-out connection (reset_timedout_connection): an error, then close.
  socket.on('error', () => undefined);
  socket.setTimeout(9000, () => socket.destroy());
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - started)));
  return { socket, received: () => received, closed };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * What one client address can hold open, as the README states it: nginx counts per address
 * only requests in progress (connectionsPerClient); every connection not carrying one is
 * bounded in time by clientTimeout instead, here 2 s.
 */
describe('connections a client holds open, on a real nginx', function () {
  this.timeout(30000);
  const key = 'held-connections-0123456789-abcdef';
  const gateway = useEchoGateway(
    { clientTimeout: 2, auth: { apiKeys: true }, rateLimit: { requestsPerSecond: 1000, burst: 1000, connectionsPerClient: 5 } },
    () => ({ apiKeys: { tests: key } }),
  );
  const authenticatedPost = (length: number) => `POST /books HTTP/1.1\r\nHost: x\r\nX-API-Key: ${key}\r\nContent-Length: ${length}\r\n\r\n`;

  it('closes connections that send nothing after clientTimeout, however many one address opens', async () => {
    const held = Array.from({ length: 50 }, () => hold(gateway().port));
    const closedAfter = await Promise.all(held.map(({ closed }) => closed));
    assert.ok(
      closedAfter.every((ms) => ms >= 1500 && ms < 4000),
      `closed after ${Math.min(...closedAfter)}-${Math.max(...closedAfter)} ms`,
    );
  });

  it('closes an idle keep-alive connection after clientTimeout', async () => {
    const connection = hold(gateway().port);
    connection.socket.write('GET /books HTTP/1.1\r\nHost: x\r\n\r\n');
    const closedAfter = await connection.closed;
    assert.match(connection.received(), /^HTTP\/1\.1 200 /, 'answered first');
    assert.ok(closedAfter >= 1500 && closedAfter < 4000, `closed after ${closedAfter} ms (the default was 60 s)`);
  });

  it('cuts a body off when no byte of it arrives within clientTimeout', async () => {
    const connection = hold(gateway().port);
    connection.socket.write(`${authenticatedPost(10)}12`);
    const closedAfter = await connection.closed;
    assert.ok(closedAfter >= 1500 && closedAfter < 4000, `closed after ${closedAfter} ms`);
  });

  it('reads a body that keeps arriving to its end: there is no total deadline', async () => {
    // client_body_timeout is the time between two reads, not for the whole body.
    const connection = hold(gateway().port);
    connection.socket.write(authenticatedPost(8));
    await sleep(200);
    for (const byte of '12345678') {
      assert.ok(connection.socket.writable, 'still open');
      connection.socket.write(byte);
      await sleep(500);
    }
    connection.socket.write('GET /books HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(300);
    assert.match(connection.received(), /^HTTP\/1\.1 200 [\s\S]*HTTP\/1\.1 200 /, 'answered, and the next request too, after 4 s of body');
    assert.equal(gateway().seen.at(-2)?.method, 'POST', 'the whole body reached the backend');
    connection.socket.destroy();
  });
});
