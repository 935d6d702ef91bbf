import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from '../../../scripts/toolkit/ports';
import { testDatabaseUrl } from '../../support/postgres';

const REPO_ROOT = resolve(__dirname, '../../..');
const SERVER_ENTRY = resolve(REPO_ROOT, 'apps/books/src/server.ts');

/** One JSON log line of the books process (pino). */
export interface LogLine {
  level: number;
  msg: string;
  reqId?: string;
  [field: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface BooksProcess {
  port: number;
  child: ChildProcess;
  /** Every JSON line written to stdout so far. */
  logs: LogLine[];
  stderr(): string;
  /** Settles once the process has exited and its output has been read to the end. */
  exited: Promise<Exit>;
  /** SIGKILLs the process if it still runs and waits for it; safe to call in any hook. */
  kill(): Promise<Exit>;
}

/**
 * Runs the books server from source (`node --import tsx`, the same code `tsc` compiles) on a
 * free loopback port with JSON logs at `info`; `env` adds or overrides variables (it names the
 * database: `DATABASE_URL`).
 */
export function spawnBooks(port: number, env: Record<string, string> = {}): BooksProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER_ENTRY], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  let stderr = '';
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line) as LogLine);
    } catch {
      logs.push({ level: 0, msg: line });
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<Exit>((resolveExit) => child.once('close', (code, signal) => resolveExit({ code, signal })));
  return {
    port,
    child,
    logs,
    stderr: () => stderr,
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    },
  };
}

/** The log line that says the process has migrated its database (it listens right after). */
export const schemaReady = 'the database schema is up to date';

/**
 * Starts the books server and resolves once it listens, which it does once it has migrated its
 * database: a new one of the tests' PostgreSQL unless `env` names one. Rejects if it exits first.
 */
export async function startBooks(env: Record<string, string> = {}): Promise<BooksProcess> {
  const books = spawnBooks(await freePort(), { DATABASE_URL: env['DATABASE_URL'] ?? (await testDatabaseUrl()), ...env });
  const deadline = Date.now() + 15_000;
  while (!books.logs.some((line) => line.msg.startsWith('Server listening at'))) {
    if (books.child.exitCode !== null || books.child.signalCode !== null || Date.now() > deadline) {
      await books.kill();
      throw new Error(`books did not start (exit ${books.child.exitCode}): ${books.stderr()}`);
    }
    await new Promise((wake) => setTimeout(wake, 25));
  }
  return books;
}

/** Resolves with `promise`'s value, or rejects once `ms` have passed. */
export function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
