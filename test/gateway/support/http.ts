import { createConnection } from 'node:net';

export interface Reply {
  status: number;
  headers: Headers;
  body: string;
}

/** One HTTP request with fetch, the body read as text, bounded in time. */
export async function request(url: string, init: RequestInit = {}): Promise<Reply> {
  const response = await fetch(url, { signal: AbortSignal.timeout(15000), ...init });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

export interface RawReply {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends bytes exactly as given and reads one answer (headers and a Content-Length body): for
 * requests a well-behaved client would refuse to send, such as a body announced larger than the
 * gateway accepts.
 */
export function rawRequest(port: number, text: string | Buffer): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let received = Buffer.alloc(0);
    socket.setTimeout(10000, () => socket.destroy(new Error('no complete answer within 10 s')));
    socket.once('error', reject);
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      const reply = parseReply(received);
      if (reply) {
        socket.destroy();
        resolve(reply);
      }
    });
    socket.write(text);
  });
}

/**
 * Sends bytes exactly as given and returns everything the server sends until it closes (or
 * resets) the connection: for answers without a status line or length, or none at all.
 */
export function rawExchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    socket.setTimeout(10000, () => socket.destroy(new Error('the connection was still open after 10 s')));
    socket.once('error', (error: NodeJS.ErrnoException) => error.code === 'ECONNRESET' || reject(error));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.write(text);
  });
}

/** The reply once all of it has arrived, else undefined; the reply to a HEAD request has no body. */
function parseReply(received: Buffer, head = false): RawReply | undefined {
  const headEnd = received.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const [statusLine = '', ...headerLines] = received.subarray(0, headEnd).toString('latin1').split('\r\n');
  const headers = Object.fromEntries(
    headerLines.map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
    }),
  );
  const body = received.subarray(headEnd + 4);
  if (!head && body.length < Number(headers['content-length'] ?? 0)) return undefined;
  return { status: Number(statusLine.split(' ')[1]), headers, body: body.toString('utf8') };
}

/**
 * Sends `count` copies of one request on one connection at once (HTTP/1.1 pipelining) and
 * returns the status of each answer, in order, once all arrived or the server closed.
 */
export function pipelined(port: number, text: string, count: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let received = '';
    // Each answer's body ends where the next status line begins, often without a newline.
    const statuses = () => [...received.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => Number(match[1]));
    socket.setTimeout(10000, () => socket.destroy(new Error(`${statuses().length} of ${count} answers within 10 s`)));
    socket.once('error', reject);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (statuses().length >= count) socket.destroy();
    });
    socket.once('close', () => resolve(statuses()));
    socket.write(text.repeat(count));
  });
}

/** A reply, and how long after the request's head it had arrived whole. */
export interface TimedReply extends RawReply {
  afterMs: number;
}

/**
 * Sends a request's head, then its body in `chunkBytes` pieces every `intervalMs` (a slow
 * client), and resolves with the first complete reply: one that came before the body was done,
 * when the server did not wait for it, stops the sending.
 */
export function sendSlowly(port: number, head: string, bodyBytes: number, chunkBytes: number, intervalMs: number): Promise<TimedReply> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const started = Date.now();
    let received = Buffer.alloc(0);
    let sent = 0;
    const drip = setInterval(() => {
      if (sent >= bodyBytes || !socket.writable) return clearInterval(drip);
      const size = Math.min(chunkBytes, bodyBytes - sent);
      sent += size;
      socket.write(Buffer.alloc(size, 'a'));
    }, intervalMs);
    const finish = (outcome: () => void) => {
      clearInterval(drip);
      socket.destroy();
      outcome();
    };
    socket.setTimeout(30000, () => finish(() => reject(new Error(`no complete answer within 30 s (${sent} body bytes sent)`))));
    // The server may close its side once it answered: what it sent still counts.
    socket.once('error', () => undefined);
    socket.once('close', () => finish(() => reject(new Error(`closed without a complete answer after ${Date.now() - started} ms`))));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const reply = parseReply(received, head.startsWith('HEAD '));
      if (reply) finish(() => resolve({ ...reply, afterMs: Date.now() - started }));
    });
    socket.write(head);
  });
}
