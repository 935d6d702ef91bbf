/**
 * A real PostgreSQL for the tests (Debian's, as `npm run local` runs it): one server per test
 * process, started by the first suite that asks and stopped at the end of the run
 * (root-hooks.ts), and a database of its own for every caller, so that suites never see each
 * other's books.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalPostgres, postgresUser, prepareLocalPostgres } from '../../scripts/local/postgres.js';

interface TestServer {
  postgres: LocalPostgres;
  folder: string;
}

let shared: Promise<TestServer> | undefined;
let databases = 0;

async function startServer(): Promise<TestServer> {
  const folder = join(tmpdir(), `books-gateway-test-postgres-${randomBytes(6).toString('hex')}`);
  const lines: string[] = [];
  const postgres = await prepareLocalPostgres({
    folder,
    user: await postgresUser(),
    onOutput: (_name, line) => lines.push(line),
    onUnexpectedExit: (_name, description) =>
      process.stderr.write(`the tests' PostgreSQL ${description}: ${lines.slice(-5).join(' | ')}\n`),
  });
  await postgres.start();
  return { postgres, folder };
}

/** The URL of a new, empty database on the tests' server (which starts on first use). */
export async function testDatabaseUrl(): Promise<string> {
  shared ??= startServer();
  const { postgres } = await shared;
  const name = `test_${process.pid}_${++databases}`;
  await postgres.createDatabase(name);
  return postgres.url(name);
}

/** Stops the tests' server, if one was started, and removes its folder. */
export async function stopTestPostgres(): Promise<void> {
  const started = shared;
  shared = undefined;
  if (!started) return;
  const { postgres, folder } = await started;
  await postgres.process.stop('SIGINT');
  await rm(folder, { recursive: true, force: true });
}
