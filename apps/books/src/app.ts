import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import Fastify from 'fastify';
import type { ConnectionError, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bookSchema } from './book';
import { checkNewBook, checkTitleChange, type Checked } from './book-input';
import { type BookStore, DatabaseUnavailableError } from './book-store';
import { errorBody } from './errors';
import { callerOf, type Caller } from './identity';
import { isbn10Problem } from './isbn';
import { checkPageRequest, nextPageLink } from './paging';

export interface BuildAppOptions {
  /** Where the books are kept (its schema up to date). */
  store: BookStore;
  /** pino log level (`fatal` ... `trace`, or `silent`). Default `info`. */
  logLevel?: string;
  /**
   * Milliseconds an idle keep-alive connection stays open. Default 65 000: longer than the
   * gateway's upstream idle timeout (30 s), so nginx always closes its pooled connections first
   * and never sends a request on a socket the API is closing at that very moment.
   */
  keepAliveTimeoutMs?: number;
}

export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** The methods of each path; Fastify answers HEAD for each GET route by itself. */
const PATH_METHODS = {
  '/books': ['GET', 'HEAD', 'POST'],
  '/books/:id': ['GET', 'HEAD', 'PUT', 'DELETE'],
  '/healthz': ['GET', 'HEAD'],
  '/readyz': ['GET', 'HEAD'],
} as const;

/** Longest path parameter (a book id) the router accepts: Fastify's default, stated. */
const MAX_PARAM_LENGTH = 100;

/** A book is a few hundred bytes: a body far larger is a mistake, refused with 413 unread. */
const BODY_LIMIT_BYTES = 16 * 1024;

/** Seconds a client is asked to wait before retrying while the database is out of reach. */
export const RETRY_AFTER_SECONDS = 2;

/**
 * What the client reads when Fastify refuses a request before any route runs (the router, the
 * body parser). Never the path or body itself: they may be long (that is the error), not valid
 * UTF-8, or whatever a client chose to send.
 */
const FRAMEWORK_ERROR_MESSAGES: Record<string, string> = {
  FST_ERR_BAD_URL: 'The path is not valid percent-encoded UTF-8',
  FST_ERR_MAX_PARAM_LENGTH: `A path segment is longer than ${MAX_PARAM_LENGTH} characters`,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Send the book as JSON, with Content-Type: application/json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'The body is empty: send the book as a JSON object',
  FST_ERR_CTP_INVALID_JSON_BODY: 'The body is not valid JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: `The body is larger than the ${BODY_LIMIT_BYTES} bytes a book may take`,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'The body is not as long as its Content-Length says',
};

const statusSchema = {
  type: 'object',
  properties: { status: { type: 'string' } },
  required: ['status'],
} as const;

function sendError(reply: FastifyReply, statusCode: number, message: string): FastifyReply {
  return reply.code(statusCode).send(errorBody(statusCode, message, reply.request.id));
}

function sendProblems(reply: FastifyReply, what: string, problems: readonly string[]): FastifyReply {
  return sendError(reply, 400, `${what}: ${problems.join('; ')}`);
}

/** A well-formed X-Request-Id (the gateway's pattern) among the bytes received so far. */
const rawRequestId = /\r\nx-request-id: ?([A-Za-z0-9][A-Za-z0-9._:-]{7,127})\r\n/i;

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (malformed request line,
 * oversized headers, slow clients), answered in the API's error shape instead of Fastify's.
 */
function answerClientError(error: ConnectionError, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const statusCode = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  // No request was parsed, but the gateway sends its X-Request-Id first among the headers: the
  // client then reads the id it was given. Otherwise a new one, which appears in no log line.
  // Node passes only the read the parser failed in (up to 64 kB), so a head longer than one read
  // gets a new id; through the gateway a head is at most 8 kB.
  const rawPacket = (error as ConnectionError & { rawPacket?: Buffer }).rawPacket;
  const requestId = rawRequestId.exec(rawPacket?.toString('latin1') ?? '')?.[1] ?? randomUUID();
  const body = JSON.stringify(errorBody(statusCode, 'The request could not be read as HTTP/1.1', requestId));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `X-Request-Id: ${requestId}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/**
 * Any error a route or Fastify raised, in the API's error shape: Fastify's own refusals with a
 * message of ours, the database out of reach as a 503 the client may retry, anything else as a
 * logged 500 that says nothing of the cause.
 */
function sendFailure(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof DatabaseUnavailableError) {
    request.log.warn({ err: error.cause }, 'the database is out of reach');
    return sendError(
      reply.header('retry-after', String(RETRY_AFTER_SECONDS)),
      503,
      'The books database cannot be reached right now; retry shortly',
    );
  }
  const statusCode = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500;
  const message = FRAMEWORK_ERROR_MESSAGES[error.code];
  if (statusCode >= 500 || message === undefined) {
    request.log.error({ err: error }, 'request failed');
    return sendError(reply, 500, 'The server could not answer this request');
  }
  return sendError(reply, statusCode, message);
}

/** The book id of a path, or a 400 naming what is wrong with it (the check digit included). */
function pathId(text: string): Checked<number> {
  const problem = isbn10Problem("the path's id", text);
  return problem === undefined ? { ok: true, value: Number(text) } : { ok: false, problems: [problem] };
}

/** The books API as a Fastify instance, routes registered, not yet listening. */
export function buildApp(options: BuildAppOptions): FastifyInstance {
  const { store } = options;
  const app = Fastify({
    logger: { level: options.logLevel ?? 'info', name: 'books' },
    // The gateway sets X-Request-Id; logging it lets gateway and API log lines be joined.
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    keepAliveTimeout: options.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
    // While shutting down, requests that still arrive on open connections are served (with
    // `Connection: close`, which Fastify adds) rather than refused: the pod may still be in the
    // endpoints for a moment, and a served request beats a 503 the client has to retry.
    return503OnClosing: false,
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    clientErrorHandler: answerClientError,
    // Above what the gateway passes on (request line and each header line 8 kB, 8 kB of headers
    // in total, plus its own few), so behind the gateway it is the gateway that refuses, and
    // Node's default of 16 kB never answers a request the gateway let through.
    http: { maxHeaderSize: 32 * 1024 },
    frameworkErrors: (error, request, reply) => {
      sendFailure(error, request, reply);
    },
  });

  // Books are JSON; a body of any other type is a 415. A DELETE needs no body: an empty one is
  // no body, even under a JSON Content-Type that a client library sends by default.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '' && request.method === 'DELETE') return done(null, undefined);
    return parseJson(request, body.toString(), done);
  });

  let shuttingDown = false;
  app.addHook('preClose', async () => {
    shuttingDown = true;
  });

  app.setNotFoundHandler((request, reply) => sendError(reply, 404, `No route for ${request.method} ${request.url}`));
  app.setErrorHandler<FastifyError>(sendFailure);

  /**
   * Every other method Fastify knows (PATCH, TRACE, PROPFIND, ...) is a 405 on a known path, not
   * a 404, answered before any body is read: a 405 deserves no 415 or 413 about a body nobody
   * would have read.
   */
  for (const [url, methods] of Object.entries(PATH_METHODS)) {
    const allow = methods.join(', ');
    const rejected = app.supportedMethods.filter((method) => !(methods as readonly string[]).includes(method));
    app.route({
      method: rejected,
      url,
      onRequest: async (request, reply) =>
        sendError(reply.header('allow', allow), 405, `${request.method} is not allowed here; use ${allow}`),
      handler: async () => undefined,
    });
  }

  /**
   * Writes carry the caller the gateway authenticated; one without came around the gateway.
   * Refused before the body is read, and before the database is asked anything.
   */
  const callers = new WeakMap<FastifyRequest, Caller>();
  const requireCaller = async (request: FastifyRequest, reply: FastifyReply) => {
    const caller = callerOf(request.headers);
    if (caller === undefined) {
      return sendError(
        reply,
        403,
        'Writes are accepted only through the gateway, which authenticates the caller (X-Auth-Subject, X-Auth-Method)',
      );
    }
    callers.set(request, caller);
    return undefined;
  };
  const callerOfRequest = (request: FastifyRequest): Caller => {
    const caller = callers.get(request);
    if (caller === undefined) throw new Error('a write route ran without its caller check');
    return caller;
  };

  const one = { schema: { response: { 200: bookSchema, 201: bookSchema } } } as const;
  const list = { schema: { response: { 200: { type: 'array', items: bookSchema } } } } as const;

  app.get<{ Querystring: Record<string, string | string[] | undefined> }>('/books', list, async (request, reply) => {
    const page = checkPageRequest(request.query);
    if (!page.ok) return sendProblems(reply, 'Invalid page', page.problems);
    const { books, more } = await store.list(page.value);
    const last = books.at(-1);
    if (more && last !== undefined) reply.header('link', nextPageLink(page.value.limit, last.id));
    return books;
  });

  app.post('/books', { ...one, onRequest: requireCaller }, async (request, reply) => {
    const input = checkNewBook(request.body);
    if (!input.ok) return sendProblems(reply, 'Invalid book', input.problems);
    const created = await store.create(input.value, callerOfRequest(request));
    if (created === undefined) return sendError(reply, 409, `A book with id ${input.value.id} exists already`);
    return reply.code(201).header('location', `/books/${created.id}`).send(created);
  });

  app.get<{ Params: { id: string } }>('/books/:id', one, async (request, reply) => {
    const id = pathId(request.params.id);
    if (!id.ok) return sendProblems(reply, 'Invalid path', id.problems);
    return (await store.find(id.value)) ?? sendError(reply, 404, `No book with id ${id.value}`);
  });

  app.put<{ Params: { id: string } }>('/books/:id', { ...one, onRequest: requireCaller }, async (request, reply) => {
    const id = pathId(request.params.id);
    if (!id.ok) return sendProblems(reply, 'Invalid path', id.problems);
    const input = checkTitleChange(request.body, id.value);
    if (!input.ok) return sendProblems(reply, 'Invalid book', input.problems);
    const updated = await store.replaceTitle(id.value, input.value.title, callerOfRequest(request));
    return updated ?? sendError(reply, 404, `No book with id ${id.value}`);
  });

  app.delete<{ Params: { id: string } }>('/books/:id', { onRequest: requireCaller }, async (request, reply) => {
    const id = pathId(request.params.id);
    if (!id.ok) return sendProblems(reply, 'Invalid path', id.problems);
    if (!(await store.remove(id.value))) return sendError(reply, 404, `No book with id ${id.value}`);
    return reply.code(204).send();
  });

  // Probes hit these every few seconds: log them only when something is wrong. Neither depends
  // on the database (the process listens only once its schema is up to date): a restart would
  // not bring it back, and through an outage clients get the API's own 503 with Retry-After
  // rather than the gateway's 502 for a service without a ready pod.
  const probe = { logLevel: 'warn', schema: { response: { 200: statusSchema } } } as const;
  app.get('/healthz', probe, async () => ({ status: 'ok' }));
  app.get('/readyz', probe, async (_request, reply) => (shuttingDown ? sendError(reply, 503, 'Shutting down') : { status: 'ready' }));

  return app;
}
