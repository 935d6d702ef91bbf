import { readFileSync } from 'node:fs';
import type { DatabaseSettings } from './database';

/** What the process entry reads from its environment. */
export interface ServerConfig {
  /** `PORT`, default 5000 (the port the tutorial's books service used). */
  port: number;
  /** `HOST`, default `0.0.0.0` (reachable on the pod IP). */
  host: string;
  /** `LOG_LEVEL`, default `info`. */
  logLevel: string;
  /**
   * `SHUTDOWN_TIMEOUT_MS`, default 10 000: how long requests in flight may take to finish after
   * SIGTERM before their connections are dropped; well inside Kubernetes' 30 s grace period.
   */
  shutdownTimeoutMs: number;
  /**
   * `DATABASE_URL`, or the file `DATABASE_URL_FILE` names (a mounted Secret: the URL carries the
   * password, which an environment variable would show to anyone who may read the pod's spec);
   * `DATABASE_POOL_SIZE`, default 10 connections per process.
   */
  database: DatabaseSettings;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function readInteger(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

/** The database's URL, checked for its form; messages never quote it (it holds a password). */
function readDatabaseUrl(env: NodeJS.ProcessEnv): string {
  const file = env['DATABASE_URL_FILE'];
  const inline = env['DATABASE_URL'];
  if (file && inline) throw new Error('DATABASE_URL and DATABASE_URL_FILE are both set: set one');
  let url: string;
  if (file) {
    try {
      url = readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw new Error(`DATABASE_URL_FILE names ${file}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, {
        cause: error,
      });
    }
  } else if (inline) {
    url = inline.trim();
  } else {
    throw new Error(
      'DATABASE_URL (or DATABASE_URL_FILE) must name the PostgreSQL database, e.g. postgres://books:<password>@postgres:5432/books',
    );
  }
  const name = file ? `the URL in ${file}` : 'DATABASE_URL';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${name} is not a URL: write postgres://user:password@host:port/database`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new Error(`${name} must start with postgres:// or postgresql://, not ${parsed.protocol}//`);
  }
  return url;
}

/** Reads and validates the configuration; throws an Error naming the bad variable. */
export function readConfig(env: NodeJS.ProcessEnv): ServerConfig {
  const logLevel = env['LOG_LEVEL'] || 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  return {
    port: readInteger(env, 'PORT', 5000, 0, 65535),
    host: env['HOST'] || '0.0.0.0',
    logLevel,
    shutdownTimeoutMs: readInteger(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 1, 600_000),
    database: { url: readDatabaseUrl(env), poolSize: readInteger(env, 'DATABASE_POOL_SIZE', 10, 1, 100) },
  };
}
