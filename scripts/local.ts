/**
 * `npm run local`: the whole system on this machine, without a cluster. Two books API processes,
 * the books-react page and the real nginx gateway (rendered exactly as for the cluster, with
 * static upstreams) on 127.0.0.1; the gateway on 8080 unless GATEWAY_PORT says otherwise, and
 * with the security and limit settings the GATEWAY_* variables give (see gateway-env.ts).
 *
 * However this process ends, the components end with it: Ctrl-C, SIGTERM or SIGHUP (a closed
 * terminal) stop them in order, so does a closed stdout (`| head`) or an uncaught error; if it
 * is SIGKILLed, its watchdog (watchdog.ts) ends them. If one component dies, the rest are stopped.
 */
import { gatewayPorts } from '../apps/gateway/src/index.js';
import { type BuildStep, runSetup } from './toolkit/setup.js';
import { parseCommandLine } from './toolkit/command-line.js';
import { devKey, withDevJwks } from './local/dev-jwt-key.js';
import { gatewaySettingsFromEnv, variablesUsage } from './local/gateway-env.js';
import { LocalRunError, failureMessage } from './local/local-run-error.js';
import { type LocalSystem, startLocalSystem } from './local/local-system.js';
import { ensurePortFree } from './local/ports.js';

const usage = [
  'Usage: npm run local [-- --dev-jwt]        (or: node --import tsx scripts/local.ts [options])',
  '',
  'Starts two books API processes, the books-react page and the nginx gateway on 127.0.0.1,',
  'prints one line per component, and stops them all on Ctrl-C, SIGTERM or SIGHUP.',
  '',
  'Options:',
  '  --build     check the Debian packages and run `npm run build` first (npm run local does)',
  '  --dev-jwt   load the development key (.local/dev-jwt-key.json, made if missing) as the',
  '              JWKS, so `npm run -s token` makes tokens the gateway accepts',
  '  -h, --help  this text',
  '',
  'Environment (each GATEWAY_* variable is the stack config key of the same name; a secret can',
  'also come from the file <NAME>_FILE names, one trailing newline dropped; see README.md):',
  ...variablesUsage(),
].join('\n');

const host = '127.0.0.1';

function gatewayPortFromEnv(): number {
  const text = process.env['GATEWAY_PORT'];
  if (text === undefined || text === '') return gatewayPorts.public;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new LocalRunError(`GATEWAY_PORT must be a port number from 1 to 65535, got "${text}"`);
  }
  return port;
}

/** Writes a line to stdout; a closed stdout is reported to the 'error' listener below, not thrown. */
function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function fail(error: unknown): never {
  process.stderr.write(`npm run local: ${failureMessage(error)}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const flags = parseCommandLine(process.argv.slice(2), { build: { type: 'boolean' }, 'dev-jwt': { type: 'boolean' } }, usage);
  let system: LocalSystem | undefined;
  let build: BuildStep | undefined;
  let exitCode: number | undefined;
  let stopping: Promise<void> | undefined;
  const shutdown = (code: number): void => {
    exitCode ??= code;
    build?.cancel();
    // Still starting: main() stops the system as soon as it is up.
    if (!system) return;
    stopping ??= system.stop().then(() => process.exit(exitCode), fail);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => shutdown(0));
  // The reader of our output has gone (`| head`, a closed terminal): nobody watches any more.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => shutdown(0));
  const crash = (error: unknown): void => {
    process.stderr.write(`npm run local: ${failureMessage(error)}\n`);
    shutdown(1);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);

  // Every setting and the gateway's port are checked before anything is built or started.
  const gatewayPort = gatewayPortFromEnv();
  const settings = gatewaySettingsFromEnv(flags['dev-jwt'] === true ? withDevJwks(process.env, devKey().jwks) : process.env);
  await ensurePortFree(host, gatewayPort, 'gateway', 'set GATEWAY_PORT to a free port, or stop what uses it');
  if (flags['build'] === true) {
    build = runSetup([]);
    await build.done;
    build = undefined;
  }
  if (exitCode !== undefined) process.exit(exitCode);

  system = await startLocalSystem({
    gatewayPort,
    gateway: settings.gateway,
    gatewaySecrets: settings.gatewaySecrets,
    onOutput: (component, line) => print(`[${component}] ${line}`),
    onUnexpectedExit: (component, description) => {
      process.stderr.write(`npm run local: ${component} ${description}; stopping the others\n`);
      shutdown(1);
    },
  });
  if (exitCode !== undefined) return shutdown(exitCode);

  const width = Math.max(...system.addresses().map(({ name }) => name.length));
  for (const { name, url, pid } of system.addresses()) print(`${name.padEnd(width)}  ${url}  (pid ${pid})`);
  print(settings.summary);
  const { gateway } = system;
  print(`Open ${gateway.url}. Gateway health: ${gateway.statusUrl}, access log: ${gateway.accessLog}. Ctrl-C stops everything.`);
}

main().catch(fail);
