/** Process entry of the books API: configuration from the environment, listen, graceful exit. */
import { buildApp } from './app';
import { BookStore } from './book-store';
import { readConfig, type ServerConfig } from './config';
import { createPool } from './database';
import { DatabaseSetup } from './database-setup';
import { exitGracefullyOnSignals } from './shutdown';

function configOrExit(): ServerConfig {
  try {
    return readConfig(process.env);
  } catch (error) {
    console.error(`books: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const config = configOrExit();
  const pool = createPool(config.database, (error) =>
    app.log.warn({ err: error }, 'an idle database connection failed; the next query opens another'),
  );
  const setup = new DatabaseSetup(pool);
  const app = buildApp({ logLevel: config.logLevel, store: new BookStore(pool) });
  // The migrations stop retrying, and the pool closes, once the last request has been answered.
  app.addHook('preClose', async () => setup.stop());
  app.addHook('onClose', async () => pool.end());
  exitGracefullyOnSignals(app, config.shutdownTimeoutMs);
  // The schema first, then the port: until then a connection is refused, which the gateway tries
  // on another process, as it never does a write that got an answer (a 503 would be one).
  if (!(await setup.run(app.log))) return;
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    app.log.fatal({ err: error }, `cannot listen on ${config.host}:${config.port}`);
    process.exit(1);
  }
}

void main();
