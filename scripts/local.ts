/**
 * `npm run local`: the whole system on this machine, without a cluster. Two books API processes,
 * the books-react page and the real nginx gateway (rendered exactly as for the cluster, with
 * static upstreams) on 127.0.0.1; the gateway on 8080 unless GATEWAY_PORT says otherwise, and
 * with the security and limit settings the GATEWAY_* variables give (see gateway-env.ts).
 * Ctrl-C or SIGTERM stops everything; if one component dies, the rest are stopped too.
 */
import { gatewaySettingsFromEnv } from './local/gateway-env.js';
import { LocalRunError } from './local/local-run-error.js';
import { type LocalSystem, startLocalSystem } from './local/local-system.js';

function gatewayPortFromEnv(): number | undefined {
  const text = process.env['GATEWAY_PORT'];
  if (text === undefined || text === '') return undefined;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new LocalRunError(`GATEWAY_PORT must be a port number from 1 to 65535, got "${text}"`);
  }
  return port;
}

function fail(error: unknown): never {
  const message = error instanceof LocalRunError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
  console.error(`npm run local: ${message}`);
  process.exit(1);
}

async function main(): Promise<void> {
  // Every setting is checked before anything starts.
  const gatewayPort = gatewayPortFromEnv();
  const settings = gatewaySettingsFromEnv(process.env);
  let system: LocalSystem | undefined;
  let exitCode: number | undefined;
  let stopping: Promise<void> | undefined;
  const shutdown = (code: number): void => {
    exitCode ??= code;
    // Still starting: main() stops the system as soon as it is up.
    if (!system) return;
    stopping ??= system.stop().then(() => process.exit(exitCode), fail);
  };
  process.on('SIGINT', () => shutdown(0));
  process.on('SIGTERM', () => shutdown(0));

  system = await startLocalSystem({
    gatewayPort,
    gateway: settings.gateway,
    gatewaySecrets: settings.gatewaySecrets,
    onOutput: (component, line) => console.log(`[${component}] ${line}`),
    onUnexpectedExit: (component, description) => {
      console.error(`npm run local: ${component} ${description}; stopping the others`);
      shutdown(1);
    },
  });
  if (exitCode !== undefined) return shutdown(exitCode);

  const width = Math.max(...system.addresses().map(({ name }) => name.length));
  for (const { name, url, pid } of system.addresses()) console.log(`${name.padEnd(width)}  ${url}  (pid ${pid})`);
  console.log(settings.summary);
  const { gateway } = system;
  console.log(`Open ${gateway.url}. Gateway health: ${gateway.statusUrl}, access log: ${gateway.accessLog}. Ctrl-C stops everything.`);
}

main().catch(fail);
