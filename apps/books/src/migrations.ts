import * as path from 'node:path';
import type { Pool } from 'pg';

/** The SQL migrations, beside src/ and dist/ alike (the image copies them to /app/migrations). */
const migrationsDir = path.join(__dirname, '..', 'migrations');

export interface MigrationLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * Brings the database's schema up to date with node-pg-migrate. Every replica runs this at
 * start: the runner holds PostgreSQL's advisory lock while it migrates, and the others wait for
 * it (`advisoryLockMode: 'wait'`, where the default would fail them) and then find nothing left
 * to do. All pending migrations run in one transaction: a failure leaves the schema as it was.
 */
export async function migrate(pool: Pool, log: MigrationLog): Promise<void> {
  // node-pg-migrate is an ES module only; this package compiles to CommonJS.
  const { runner } = await import('node-pg-migrate');
  const client = await pool.connect();
  try {
    await runner({
      dbClient: client,
      dir: migrationsDir,
      direction: 'up',
      migrationsTable: 'pgmigrations',
      advisoryLockMode: 'wait',
      singleTransaction: true,
      logger: {
        debug: () => undefined,
        info: (message) => log.info(message),
        warn: (message) => log.warn(message),
        error: (message) => log.error(message),
      },
    });
  } finally {
    client.release();
  }
}
