import { Pool, TypeOverrides, types as pgTypes } from 'pg';

/** How the API reaches its PostgreSQL. */
export interface DatabaseSettings {
  /** `postgres://user:password@host:port/database`, or a socket folder as `?host=/path`. */
  url: string;
  /** Connections each process keeps at most. */
  poolSize: number;
}

/**
 * The database's answers bound the API's: a connection that cannot be made within 1.5 s, or a
 * query that runs 3 s, is given up, so the client gets a 503 before the gateway's 5 s read
 * timeout turns the wait into a 504 (and never waits forever on a database that vanished).
 */
const CONNECT_TIMEOUT_MS = 1500;
const QUERY_TIMEOUT_MS = 3000;

/**
 * Ids are `bigint` in the table (ten digits do not fit an `integer`); pg hands those back as
 * strings by default, for values past 2^53. Ten digits are far below it: numbers, as the API
 * has always answered.
 */
const types = new TypeOverrides();
types.setTypeParser(pgTypes.builtins.INT8, 'text', Number);

export function createPool(settings: DatabaseSettings, onIdleError: (error: Error) => void): Pool {
  const pool = new Pool({
    connectionString: settings.url,
    max: settings.poolSize,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
    statement_timeout: QUERY_TIMEOUT_MS,
    // Idle connections are dropped after 30 s, and TCP keep-alive finds a peer that vanished
    // (a database pod killed with its network) instead of leaving the socket open forever.
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'books',
    types,
  });
  // A pooled connection the server closes while idle (a restart, a failover) is reported here;
  // without a listener the process would crash. The next query opens a new one.
  pool.on('error', onIdleError);
  return pool;
}

/** Node's codes for a peer that cannot be reached, or that went away. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ENOENT',
]);

/**
 * PostgreSQL's SQLSTATEs for a server that cannot serve now: class 08 (connection exceptions),
 * 53 (insufficient resources: too many connections), 57014 (a statement cancelled by the
 * statement timeout: the server is too slow to answer now), 57P01-57P03 (shutting down, crashed,
 * starting), and 25006 (a read-only standby, after a failover).
 */
function isUnavailableState(code: string): boolean {
  return /^(08|53)/.test(code) || ['57014', '57P01', '57P02', '57P03', '25006'].includes(code);
}

/** pg's own messages for a connection it lost or could not get in time (they carry no code). */
const POOL_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|Query read timeout|Client has encountered a connection error|not queryable/i;

/**
 * Whether an error means the database is out of reach for now (a 503 the client may retry), as
 * against a mistake in the request or a fault of the API.
 */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || isUnavailableState(code))) return true;
  return POOL_MESSAGES.test(error.message);
}
