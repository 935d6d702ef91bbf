import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import Fastify from 'fastify';
import type { ConnectionError, FastifyError, FastifyInstance, FastifyReply, RouteHandlerMethod } from 'fastify';
import { BOOKS, findBook } from './catalogue';
import { errorBody } from './errors';
import { parseIsbn10 } from './isbn';

export interface BuildAppOptions {
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

/** Every route is read-only. Fastify answers HEAD for each GET route by itself. */
const READ_METHODS = ['GET', 'HEAD'];
const ALLOW = READ_METHODS.join(', ');

/** Longest path parameter (a book id) the router accepts: Fastify's default, stated. */
const MAX_PARAM_LENGTH = 100;

/**
 * What the client reads when Fastify's router refuses a path before any route runs. Never the
 * path itself: it may be long (that is the error) or not valid UTF-8.
 */
const FRAMEWORK_ERROR_MESSAGES: Record<string, string> = {
  FST_ERR_BAD_URL: 'The path is not valid percent-encoded UTF-8',
  FST_ERR_MAX_PARAM_LENGTH: `A path segment is longer than ${MAX_PARAM_LENGTH} characters`,
};

const bookSchema = {
  type: 'object',
  properties: { id: { type: 'integer' }, title: { type: 'string' } },
  required: ['id', 'title'],
  additionalProperties: false,
} as const;

const statusSchema = {
  type: 'object',
  properties: { status: { type: 'string' } },
  required: ['status'],
} as const;

function sendError(reply: FastifyReply, statusCode: number, message: string): FastifyReply {
  return reply.code(statusCode).send(errorBody(statusCode, message, reply.request.id));
}

const rejectMethod: RouteHandlerMethod = (request, reply) =>
  sendError(reply.header('allow', ALLOW), 405, `${request.method} is not allowed here; use ${ALLOW}`);

/** A well-formed X-Request-Id (the gateway's pattern) among the bytes received so far. */
const rawRequestId = /\r\nx-request-id: ?([A-Za-z0-9][A-Za-z0-9._:-]{7,127})\r\n/i;

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (malformed request line,
 * oversized headers, slow clients), answered in the API's error shape instead of Fastify's.
 */
function answerClientError(error: ConnectionError, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const statusCode =
    error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
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

/** Errors of Fastify's router (a malformed or too long path), in the API's error shape. */
function sendFrameworkError(error: FastifyError, reply: FastifyReply): FastifyReply {
  const statusCode = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500;
  const message = FRAMEWORK_ERROR_MESSAGES[error.code];
  if (statusCode >= 500 || message === undefined) {
    reply.log.error({ err: error }, 'request failed');
    return sendError(reply, 500, 'The server could not answer this request');
  }
  return sendError(reply, statusCode, message);
}

/** The books API as a Fastify instance, routes registered, not yet listening. */
export function buildApp(options: BuildAppOptions = {}): FastifyInstance {
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
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    clientErrorHandler: answerClientError,
    // Above what the gateway passes on (request line and each header line 8 kB, 8 kB of headers
    // in total, plus its own few), so behind the gateway it is the gateway that refuses, and
    // Node's default of 16 kB never answers a request the gateway let through.
    http: { maxHeaderSize: 32 * 1024 },
    frameworkErrors: (error, _request, reply) => sendFrameworkError(error, reply),
  });

  // No route takes a body. Leaving bodies unparsed (Node discards them) means a POST gets the
  // 405 it deserves, not a 415 or 413 about a body nobody would have read.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  let shuttingDown = false;
  app.addHook('preClose', async () => {
    shuttingDown = true;
  });

  app.setNotFoundHandler((request, reply) => sendError(reply, 404, `No route for ${request.method} ${request.url}`));
  app.setErrorHandler<FastifyError>((error, request, reply) => {
    const statusCode = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500;
    if (statusCode >= 500) {
      request.log.error({ err: error }, 'request failed');
      return sendError(reply, statusCode, 'The server could not answer this request');
    }
    return sendError(reply, statusCode, error.message);
  });

  // Every other method Fastify knows (TRACE, PROPFIND, ...) is a 405 on a known path, not a 404.
  const rejectedMethods = app.supportedMethods.filter((method) => !READ_METHODS.includes(method));
  function rejectOtherMethods(url: string): void {
    app.route({ method: rejectedMethods, url, handler: rejectMethod });
  }

  app.get('/books', { schema: { response: { 200: { type: 'array', items: bookSchema } } } }, async () => BOOKS);
  rejectOtherMethods('/books');

  app.get<{ Params: { id: string } }>(
    '/books/:id',
    { schema: { response: { 200: bookSchema } } },
    async (request, reply) => {
      const id = parseIsbn10(request.params.id);
      if (id === undefined) {
        const example = BOOKS[0]?.id;
        const message = `Book id must be an ISBN-10 of ten digits with a valid check digit, e.g. ${example}`;
        return sendError(reply, 400, message);
      }
      return findBook(id) ?? sendError(reply, 404, `No book with id ${id}`);
    },
  );
  rejectOtherMethods('/books/:id');

  // Probes hit these every few seconds: log them only when something is wrong.
  const probe = { logLevel: 'warn', schema: { response: { 200: statusSchema } } } as const;
  app.get('/healthz', probe, async () => ({ status: 'ok' }));
  rejectOtherMethods('/healthz');
  app.get('/readyz', probe, async (_request, reply) =>
    shuttingDown ? sendError(reply, 503, 'Shutting down') : { status: 'ready' },
  );
  rejectOtherMethods('/readyz');

  return app;
}
