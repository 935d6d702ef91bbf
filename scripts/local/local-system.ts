import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { join, relative, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import {
  type GatewayRenderInput,
  type GatewaySecretsInput,
  type NginxPlatform,
  debianPlatform,
  gatewayPorts,
  healthPath,
  renderGateway,
  renderGatewaySecrets,
} from '../../apps/gateway/src/index.js';
import { copyBuiltPage, renderBooksReactSite } from './books-react-site.js';
import { LocalRunError } from './local-run-error.js';
import { ManagedProcess, type OutputListener, type ProcessGuard, type UnexpectedExitListener } from '../toolkit/managed-process.js';
import { locateNginx, nginxProcess, testNginxConfig, writeNginxFiles } from '../toolkit/nginx.js';
import { ensurePortFree, freePorts, waitUntilListening } from './ports.js';
import { startWatchdog } from './process-guard.js';
import { type LocalPostgres, booksDatabase, postgresUser, prepareLocalPostgres } from './postgres.js';
import { type RunFolder, createRunFolder } from './run-folder.js';
import { ensureServiceUser } from './service-user.js';

/** Everything the gateway renderer takes besides what the local run decides itself. */
export type GatewayOptions = Omit<
  GatewayRenderInput,
  'listenPort' | 'listenAddress' | 'statusPort' | 'books' | 'booksReact' | 'platform'
>;

export interface LocalSystemOptions {
  /** The gateway's public port. Default 8080; 0 picks a free port. */
  gatewayPort?: number;
  /** The gateway's status port (`/healthz`). Default: a free port. */
  statusPort?: number;
  /** How many books API processes the gateway balances over. Default 2. */
  booksProcesses?: number;
  /** Renderer settings (timeouts, body size, ...), exactly as the cluster would pass them. */
  gateway?: GatewayOptions;
  /** The gateway's secrets (JWKS, API keys, TLS), written to its secrets folder. Default none. */
  gatewaySecrets?: GatewaySecretsInput;
  /** The gateway nginx's workers and access log (default: `auto` workers, JSON log file in its folder). */
  gatewayPlatform?: Partial<Pick<NginxPlatform, 'workerProcesses' | 'accessLog'>>;
  /** Extra environment of the books processes, e.g. `{ LOG_LEVEL: 'warn' }`. */
  booksEnv?: NodeJS.ProcessEnv;
  /** The nginx binary (name on PATH or path). Default `nginx`. */
  nginxBinary?: string;
  /** Receives every line each component writes. Default: dropped. */
  onOutput?: OutputListener;
  /** Called when a component ends on its own once the system is up (a crash). */
  onUnexpectedExit?: UnexpectedExitListener;
}

/** A component's name and the address it serves on, as `npm run local` prints them. */
export interface ComponentAddress {
  name: string;
  url: string;
  /** Its process (for nginx: the master). */
  pid: number | undefined;
}

/** One books API process; fault tests kill and restart them. */
export interface BooksProcess {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly running: boolean;
  /** Starts it again on the same port and resolves once it serves (it listens, its database is migrated). */
  start(): Promise<void>;
  /** SIGTERM: the API finishes its requests in flight, then exits. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** SIGSTOP: a hung process that accepts connections and never answers. */
  pause(): void;
  /** SIGCONT: a paused process carries on. */
  resume(): void;
}

export interface LocalGateway {
  readonly url: string;
  readonly port: number;
  readonly statusUrl: string;
  readonly statusPort: number;
  /** Folder holding the rendered files nginx runs on. */
  readonly configDir: string;
  /** The JSON access log file (or `off`). */
  readonly accessLog: string;
  /**
   * Renders the configuration again with new options, checks it with `nginx -t` and reloads
   * nginx (SIGHUP: new workers take over, the old ones finish their requests); resolves once the
   * new configuration answers new connections.
   */
  reload(options: GatewayOptions, secrets?: GatewaySecretsInput): Promise<void>;
  /** The version of the configuration now running, as its health endpoint reports it. */
  configVersion(): string;
}

export interface LocalSystem {
  readonly gateway: LocalGateway;
  readonly books: readonly BooksProcess[];
  readonly booksReact: { readonly url: string };
  /** The books API's PostgreSQL, reached through a socket in the run folder. */
  readonly postgres: {
    readonly url: string;
    /** SIGKILL, as a crash (fault tests). */
    kill(): Promise<void>;
    /** Starts it again on its data, resolving once it accepts connections. */
    start(): Promise<void>;
  };
  /** One entry per component, gateway first. */
  addresses(): ComponentAddress[];
  /** Stops every component (gateway first, so no client sees a half-stopped system) and cleans up. */
  stop(): Promise<void>;
}

const execFileAsync = promisify(execFile);
const host = '127.0.0.1';
/**
 * The account the gateway's nginx workers run as when the local run starts as root: one of their
 * own, the only one that may read the gateway's secrets (nginx would otherwise use `nobody`).
 */
const gatewayWorkerAccount = 'books-gateway-nginx';
const repoRoot = resolve(__dirname, '..', '..');
const paths = {
  booksEntry: join(repoRoot, 'apps/books/dist/server.js'),
  booksReactDist: join(repoRoot, 'apps/books-react/dist'),
  booksReactSiteConf: join(repoRoot, 'apps/books-react/nginx/site.conf'),
};

/** Fails early, with the command that fixes it, when a build the local run needs is missing. */
function ensureBuilt(): void {
  const needs: Array<[file: string, fix: string]> = [
    [paths.booksEntry, 'npm run build --prefix apps/books'],
    [join(paths.booksReactDist, 'index.html'), 'npm run build --prefix apps/books-react'],
    [paths.booksReactSiteConf, 'restore it from git'],
  ];
  for (const [file, fix] of needs) {
    if (!existsSync(file)) throw new LocalRunError(`${relative(repoRoot, file)} is missing: ${fix}`);
  }
}

/** Where a component's output and unexpected end go, and who makes sure it ends with the run. */
interface Listeners {
  onOutput: OutputListener;
  onUnexpectedExit: UnexpectedExitListener;
  guard: ProcessGuard;
}

/**
 * Starts a PostgreSQL (Debian's, on a socket of the run folder), the books API processes, the
 * books-react page and the real nginx gateway on 127.0.0.1, the gateway rendered by
 * `renderGateway` with static upstreams, all in a private run folder.
 * Resolves once every component listens; on any failure stops what it started and rejects with
 * a LocalRunError. A watchdog started first ends the components if this process dies without
 * stopping them (SIGKILL).
 */
export async function startLocalSystem(options: LocalSystemOptions = {}): Promise<LocalSystem> {
  const nginxBinary = locateNginx(options.nginxBinary);
  ensureBuilt();
  const booksCount = options.booksProcesses ?? 2;
  // Every port the system picks itself, chosen together so that no two components share one.
  const [pickedGateway, pickedStatus, booksReactPort, ...booksPorts] = await freePorts(3 + booksCount, host);
  if (pickedGateway === undefined || pickedStatus === undefined || booksReactPort === undefined) throw new Error('no free ports');
  const gatewayPort = options.gatewayPort === 0 ? pickedGateway : (options.gatewayPort ?? gatewayPorts.public);
  await ensurePortFree(host, gatewayPort, 'gateway', 'set GATEWAY_PORT to a free port, or stop what uses it');
  const statusPort = options.statusPort ?? pickedStatus;
  if (options.statusPort !== undefined) {
    await ensurePortFree(host, statusPort, 'gateway status server', 'choose another status port');
  }

  let up = false;
  const onUnexpectedExit: UnexpectedExitListener = (name, description) => {
    // While starting, an early exit is reported by the start itself, with the process's words.
    if (up) options.onUnexpectedExit?.(name, description);
  };
  const workers = process.getuid?.() === 0 ? await ensureServiceUser(gatewayWorkerAccount, 'books-gateway npm run local, gateway nginx workers') : undefined;
  const runFolder = await createRunFolder(workers);
  const watchdog = startWatchdog(runFolder.path, (description) => onUnexpectedExit('watchdog', description));
  const listeners: Listeners = { onOutput: options.onOutput ?? (() => undefined), onUnexpectedExit, guard: watchdog };
  const processes: ManagedProcess[] = [];
  let postgres: LocalPostgres | undefined;
  const stopAll = async (): Promise<void> => {
    up = false;
    const [gatewayProcess, ...others] = processes;
    await gatewayProcess?.stop();
    await Promise.all(others.map((managed) => managed.stop()));
    // Last, once no API process is left to lose its connections; SIGINT is PostgreSQL's fast
    // shutdown (SIGTERM would wait for every client to leave).
    await postgres?.process.stop('SIGINT');
    await runFolder.remove();
    await watchdog.close();
  };

  try {
    postgres = await prepareLocalPostgres({ folder: join(runFolder.path, 'postgres'), user: await postgresUser(), ...listeners, guard: watchdog });
    await postgres.start();
    await postgres.createDatabase(booksDatabase);
    const booksEnv = { ...options.booksEnv, DATABASE_URL: postgres.url() };
    const books = booksPorts.map((port, index) => booksProcess(`books-${index + 1}`, port, booksEnv, listeners));
    const booksReact = await prepareBooksReact(join(runFolder.path, 'books-react'), booksReactPort, nginxBinary, listeners);
    const gateway = await prepareGateway(runFolder, nginxBinary, listeners, options, {
      gatewayPort,
      statusPort,
      booksPorts,
      booksReactPort,
    });

    processes.push(gateway.managed, booksReact, ...books.map(({ managed }) => managed));
    await Promise.all([...books.map(({ handle }) => handle.start()), startListening(booksReact, booksReactPort)]);
    await startListening(gateway.managed, gatewayPort);
    up = true;

    const booksReactUrl = `http://${host}:${booksReactPort}`;
    const database = postgres;
    return {
      gateway: gateway.handle,
      books: books.map(({ handle }) => handle),
      booksReact: { url: booksReactUrl },
      postgres: { url: database.url(), kill: () => database.process.kill(), start: () => database.start() },
      addresses: () => [
        { name: 'gateway', url: gateway.handle.url, pid: gateway.managed.pid },
        ...books.map(({ managed, handle }) => ({ name: handle.name, url: handle.url, pid: managed.pid })),
        { name: 'books-react', url: booksReactUrl, pid: booksReact.pid },
        { name: 'postgres', url: database.url(), pid: database.process.pid },
      ],
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function startListening(managed: ManagedProcess, port: number): Promise<void> {
  managed.start();
  await waitUntilListening(managed, host, port);
}

function booksProcess(
  name: string,
  port: number,
  extraEnv: NodeJS.ProcessEnv | undefined,
  listeners: Listeners,
): { managed: ManagedProcess; handle: BooksProcess } {
  const managed = new ManagedProcess(
    {
      name,
      command: process.execPath,
      args: [paths.booksEntry],
      env: { ...process.env, ...extraEnv, PORT: String(port), HOST: host },
    },
    listeners.onOutput,
    listeners.onUnexpectedExit,
    listeners.guard,
  );
  const handle: BooksProcess = {
    name,
    port,
    url: `http://${host}:${port}`,
    get running() {
      return managed.running;
    },
    start: async () => {
      await startListening(managed, port);
      await waitUntilReady(managed, `http://${host}:${port}/readyz`);
    },
    stop: () => managed.stop(),
    kill: () => managed.kill(),
    pause: () => managed.signal('SIGSTOP'),
    resume: () => managed.signal('SIGCONT'),
  };
  return { managed, handle };
}

/**
 * Resolves once a books process answers its readiness probe: it listens, and has migrated its
 * database. Until then it answers the books routes with 503.
 */
async function waitUntilReady(managed: ManagedProcess, readyUrl: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!managed.running) throw new LocalRunError(`${managed.name} stopped while starting: ${managed.recentOutput() || 'no output'}`);
    if ((await statusOf(readyUrl).catch(() => 0)) === 200) return;
    await delay(50);
  }
  throw new LocalRunError(`${managed.name} was not ready within ${timeoutMs / 1000} s (its database): ${managed.recentOutput() || 'no output'}`);
}

/** The status of a GET over a new connection. */
function statusOf(url: string): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const request = get(url, { agent: false, timeout: 2000 }, (response) => {
      response.resume();
      resolvePromise(response.statusCode ?? 0);
    });
    request.on('timeout', () => request.destroy(new Error(`${url} timed out`)));
    request.on('error', reject);
  });
}

/** The page's nginx, configured in `folder` and serving its own copy of the built page (not started). */
async function prepareBooksReact(folder: string, port: number, nginxBinary: string, listeners: Listeners): Promise<ManagedProcess> {
  const runDir = join(folder, 'run');
  const root = join(folder, 'site');
  await mkdir(folder);
  await copyBuiltPage(paths.booksReactDist, root);
  const conf = renderBooksReactSite({ host, port, root, siteConf: paths.booksReactSiteConf, runDir });
  await writeNginxFiles(folder, runDir, { 'nginx.conf': conf });
  return nginxProcess('books-react', nginxBinary, folder, listeners.onOutput, listeners.onUnexpectedExit, listeners.guard);
}

/** The ports of the local run's components. */
interface LocalPorts {
  gatewayPort: number;
  statusPort: number;
  booksPorts: number[];
  booksReactPort: number;
}

/**
 * Resolves once a new connection to the health endpoint is answered by the configuration
 * `version`. SIGHUP only asks nginx to reload: it starts new workers while the old ones keep
 * answering, so without this wait a caller could still reach the previous configuration.
 */
async function waitForConfigVersion(healthUrl: string, version: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = 'no answer';
  while (Date.now() < deadline) {
    seen = await reportedConfigVersion(healthUrl).catch((error: Error) => error.message);
    if (seen === version) return;
    await delay(25);
  }
  throw new LocalRunError(`the gateway still runs configuration ${seen}, not ${version}, ${timeoutMs / 1000} s after the reload`);
}

/** The processes nginx's master `masterPid` runs, with their titles (`nginx: worker process`). */
async function workersOf(masterPid: number | undefined): Promise<Map<number, string>> {
  const { stdout } = await execFileAsync('ps', ['-A', '-o', 'pid=,ppid=,args=']);
  const workers = new Map<number, string>();
  for (const line of stdout.split('\n')) {
    const match = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (match && Number(match[2]) === masterPid) workers.set(Number(match[1]), match[3] ?? '');
  }
  return workers;
}

/**
 * Resolves once none of `oldWorkers` accepts connections any more: each has exited or titles
 * itself "shutting down". Until the master has told them so, they share the listening sockets
 * with the new workers, and a new connection may still land on the old configuration.
 */
async function waitForWorkersToStopAccepting(oldWorkers: Map<number, string>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const accepting = async () => {
    const { stdout } = await execFileAsync('ps', ['-A', '-o', 'pid=,args=']);
    return stdout.split('\n').filter((line) => {
      const match = /^\s*(\d+)\s+(.*)$/.exec(line);
      return match !== null && oldWorkers.has(Number(match[1])) && !/shutting down/.test(match[2] ?? '');
    });
  };
  while (Date.now() < deadline) {
    if ((await accepting()).length === 0) return;
    await delay(25);
  }
  throw new LocalRunError(`nginx's old workers still accept connections ${timeoutMs / 1000} s after the reload`);
}

/** The `config` the health endpoint reports, over a new connection (a pooled one may be an old worker's). */
function reportedConfigVersion(healthUrl: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const request = get(healthUrl, { agent: false, timeout: 2000 }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        const parsed: unknown = JSON.parse(body);
        const config = typeof parsed === 'object' && parsed !== null && 'config' in parsed ? parsed.config : undefined;
        resolvePromise(String(config));
      });
    });
    request.on('timeout', () => request.destroy(new Error('health check timed out')));
    request.on('error', reject);
  });
}

/**
 * Creates the access log before nginx does: nginx would make it readable by everyone, and it
 * names every client and path. nginx's master opens it (root, when started as root) and its
 * workers write through the descriptor they inherit, so the owner alone may read it.
 */
async function createPrivateLog(path: string | undefined): Promise<void> {
  if (path === undefined || path === 'off' || path.startsWith('/dev/')) return;
  await writeFile(path, '', { flag: 'a', mode: 0o600 });
  await chmod(path, 0o600);
}

/** The gateway's nginx, rendered into the run folder's `gateway` and checked with `nginx -t` (not started). */
async function prepareGateway(
  runFolder: RunFolder,
  nginxBinary: string,
  listeners: Listeners,
  options: LocalSystemOptions,
  ports: LocalPorts,
): Promise<{ managed: ManagedProcess; handle: LocalGateway }> {
  const folder = join(runFolder.path, 'gateway');
  await mkdir(folder);
  const platform = debianPlatform(folder, { ...options.gatewayPlatform, workerUser: runFolder.workers?.name });
  const render = (gatewayOptions: GatewayOptions) =>
    renderGateway({
      ...gatewayOptions,
      listenPort: ports.gatewayPort,
      listenAddress: host,
      statusPort: ports.statusPort,
      books: { kind: 'static', addresses: ports.booksPorts.map((port) => `${host}:${port}`) },
      booksReact: { kind: 'static', addresses: [`${host}:${ports.booksReactPort}`] },
      platform,
    });
  // The secrets folder as the cluster mounts it from a Kubernetes Secret, apart from the config,
  // readable by nginx's workers only: whoever reads the HMAC secret can mint tokens.
  const writeSecrets = (gatewayOptions: GatewayOptions, secrets: GatewaySecretsInput) =>
    runFolder.writeSecretFiles(platform.secretsDir, renderGatewaySecrets(secrets, gatewayOptions));
  let applied = { options: options.gateway ?? {}, secrets: options.gatewaySecrets ?? {} };
  let { files, version } = render(applied.options);
  await writeSecrets(applied.options, applied.secrets);
  await writeNginxFiles(folder, platform.runDir, files);
  await createPrivateLog(platform.accessLog);
  await testNginxConfig(nginxBinary, folder);
  const managed = nginxProcess('gateway', nginxBinary, folder, listeners.onOutput, listeners.onUnexpectedExit, listeners.guard);

  const handle: LocalGateway = {
    url: `${options.gateway?.tls ? 'https' : 'http'}://${host}:${ports.gatewayPort}`,
    port: ports.gatewayPort,
    statusUrl: `http://${host}:${ports.statusPort}${healthPath}`,
    statusPort: ports.statusPort,
    configDir: folder,
    accessLog: platform.accessLog ?? 'off',
    async reload(gatewayOptions, secrets = applied.secrets) {
      const next = render(gatewayOptions);
      await writeSecrets(gatewayOptions, secrets);
      await writeNginxFiles(folder, platform.runDir, next.files);
      try {
        await testNginxConfig(nginxBinary, folder);
      } catch (error) {
        // Put back the files nginx runs on, so that a later restart still starts.
        await writeSecrets(applied.options, applied.secrets);
        await writeNginxFiles(folder, platform.runDir, files);
        throw error;
      }
      files = next.files;
      applied = { options: gatewayOptions, secrets };
      const oldWorkers = await workersOf(managed.pid);
      managed.signal('SIGHUP');
      await waitForConfigVersion(handle.statusUrl, next.version);
      await waitForWorkersToStopAccepting(oldWorkers);
      version = next.version;
    },
    configVersion: () => version,
  };
  return { managed, handle };
}
