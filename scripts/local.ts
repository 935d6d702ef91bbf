/**
 * `npm run local`: the whole system on this machine, without a cluster. Two books API processes,
 * the books-react page and the real nginx gateway (rendered exactly as for the cluster, with
 * static upstreams) on 127.0.0.1; the gateway on 8080 unless GATEWAY_PORT says otherwise, and
 * with the security and limit settings the GATEWAY_* variables give (see gateway-env.ts).
 *
 * However this process ends, the components end with it: Ctrl-C (even twice), SIGTERM, SIGHUP (a
 * closed terminal) or the end of npm that started it stop them in order (toolkit/stop-request.ts),
 * so does a closed stdout (`| head`) or an uncaught error; if it is SIGKILLed, its watchdog
 * (watchdog.ts) ends them. If one component dies, the rest are stopped. It says on stderr what
 * stops and why, then what has stopped. The books processes' JSON log shows as one line per request.
 */
import { type BuildStep, runSetup } from './toolkit/setup.js';
import { parseCommandLine } from './toolkit/command-line.js';
import { gatewayPortFromEnv } from './toolkit/gateway-port.js';
import { devKey, withDevJwks } from './local/dev-jwt-key.js';
import { gatewaySettingsFromEnv, variablesUsage } from './local/gateway-env.js';
import { failureMessage } from './local/local-run-error.js';
import { type LocalSystem, startLocalSystem } from './local/local-system.js';
import { ensurePortFree } from './toolkit/ports.js';
import { booksLogFormatter } from './local/books-log.js';
import { onStopRequest } from './toolkit/stop-request.js';

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

/** Writes a line to stdout; a closed stdout is reported to the 'error' listener below, not thrown. */
function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** The run's own account of itself (what stops, and why): stderr, which outlives a closed stdout. */
function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

function fail(error: unknown): never {
  say(`npm run local: ${failureMessage(error)}`);
  process.exit(1);
}

/** The longest component name, so that every component's lines line up. */
const nameWidth = 'books-react'.length;

/**
 * What a component writes, as the terminal shows it: behind the component's name, the books
 * processes' JSON log as one readable line per request (books-log.ts), the others' as they are.
 */
function componentOutput(): (component: string, line: string) => void {
  const formats = new Map<string, (line: string) => string | undefined>();
  return (component, line) => {
    let format = formats.get(component);
    if (!format) {
      format = /^books-\d+$/.test(component) ? booksLogFormatter() : (text: string) => text;
      formats.set(component, format);
    }
    const shown = format(line);
    if (shown !== undefined) print(`${component.padEnd(nameWidth)}  ${shown}`);
  };
}

async function main(): Promise<void> {
  const flags = parseCommandLine(process.argv.slice(2), { build: { type: 'boolean' }, 'dev-jwt': { type: 'boolean' } }, usage);
  let system: LocalSystem | undefined;
  let build: BuildStep | undefined;
  let exitCode: number | undefined;
  let stopping: Promise<void> | undefined;
  /** Stops what has started, once, then exits saying what stopped. */
  const stopSystem = (): void => {
    // Still starting: main() stops the system as soon as it is up.
    if (!system || stopping) return;
    const names = system.addresses().map(({ name }) => name);
    stopping = system.stop().then(() => {
      say(`stopped: ${names.join(', ')}`);
      process.exit(exitCode);
    }, fail);
  };
  /** The run stops, whatever asks first, saying why; what asks later changes nothing. */
  const shutdown = (code: number, why: string): void => {
    if (exitCode === undefined) {
      exitCode = code;
      say(`stopping: ${why}`);
    }
    build?.cancel();
    stopSystem();
  };
  onStopRequest((why) => shutdown(0, why));
  // The reader of our output has gone (`| head`, a closed terminal): nobody watches any more.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => shutdown(0, 'nobody reads its output any more'));
  const crash = (error: unknown): void => {
    say(`npm run local: ${failureMessage(error)}`);
    shutdown(1, 'an uncaught error');
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);

  // Every setting and the gateway's port are checked before anything is built or started.
  const gatewayPort = gatewayPortFromEnv(process.env);
  const settings = gatewaySettingsFromEnv(flags['dev-jwt'] === true ? withDevJwks(process.env, devKey().jwks) : process.env);
  await ensurePortFree(host, gatewayPort, 'gateway', 'set GATEWAY_PORT to a free port, or stop what uses it');
  if (flags['build'] === true) {
    build = runSetup([]);
    await build.done;
    build = undefined;
  }
  if (exitCode !== undefined) {
    say('stopped: before any component started');
    process.exit(exitCode);
  }

  system = await startLocalSystem({
    gatewayPort,
    gateway: settings.gateway,
    gatewaySecrets: settings.gatewaySecrets,
    onOutput: componentOutput(),
    onUnexpectedExit: (component, description) => shutdown(1, `${component} ${description}`),
  });
  if (exitCode !== undefined) return stopSystem();

  for (const { name, url, pid } of system.addresses()) print(`${name.padEnd(nameWidth)}  ${url}  (pid ${pid})`);
  print(settings.summary);
  const { gateway } = system;
  print(`Open ${gateway.url}. Gateway health: ${gateway.statusUrl}, access log: ${gateway.accessLog}. Ctrl-C stops everything.`);
}

main().catch(fail);
