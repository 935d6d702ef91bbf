/** Process entry of the books API: configuration from the environment, listen, graceful exit. */
import { buildApp } from './app';
import { readConfig, type ServerConfig } from './config';
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
  const app = buildApp({ logLevel: config.logLevel });
  exitGracefullyOnSignals(app, config.shutdownTimeoutMs);
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    app.log.fatal({ err: error }, `cannot listen on ${config.host}:${config.port}`);
    process.exit(1);
  }
}

void main();
