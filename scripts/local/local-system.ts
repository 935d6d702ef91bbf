import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { get } from 'node:http';
import { join, relative, resolve } from 'node:path';
import { type GatewaySecretsInput, type NginxPlatform, gatewayPorts } from '../../apps/gateway/src/index.js';
import { eventually } from '../toolkit/eventually.js';
import { type GatewayNginx, type GatewayOptions, prepareGatewayNginx } from '../toolkit/gateway-nginx.js';
import { ManagedProcess, type OutputListener, type ProcessGuard, type UnexpectedExitListener } from '../toolkit/managed-process.js';
import { hostNginx } from '../toolkit/nginx-launchers.js';
import { locateNginx, nginxProcess, writeNginxFiles } from '../toolkit/nginx.js';
import { copyBuiltPage, renderBooksReactSite } from '../toolkit/books-react-site.js';
import { LocalRunError } from './local-run-error.js';
import { ensurePortFree, freePorts, waitUntilListening } from '../toolkit/ports.js';
import { startWatchdog } from './process-guard.js';
import { type LocalPostgres, booksDatabase, postgresUser, prepareLocalPostgres } from './postgres.js';
import { type RunFolder, createRunFolder } from './run-folder.js';
import { ensureServiceUser } from './service-user.js';

/** The renderer settings the local run takes (`LocalSystemOptions.gateway`). */
export type { GatewayOptions };

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

/** One books API process. */
export interface BooksProcess {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  /**
   * Its supervisor: its process id, whether it runs, its signals, and its stop (SIGTERM: the API
   * finishes the requests in flight, then exits).
   */
  readonly process: ManagedProcess;
  /** Starts it (again, on the same port) and resolves once it serves (it listens, its database is migrated). */
  start(): Promise<void>;
}

export interface LocalSystem {
  /** The gateway nginx, rendered in the run folder's `gateway` (its `configDir`). */
  readonly gateway: GatewayNginx;
  readonly books: readonly BooksProcess[];
  readonly booksReact: { readonly url: string };
  /** The books API's PostgreSQL, reached through a socket in the run folder. */
  readonly postgres: LocalPostgres;
  /** One entry per component, gateway first. */
  addresses(): ComponentAddress[];
  /** Stops every component (gateway first, so no client sees a half-stopped system) and cleans up. */
  stop(): Promise<void>;
}

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
  const workers =
    process.getuid?.() === 0
      ? await ensureServiceUser(gatewayWorkerAccount, 'books-gateway npm run local, gateway nginx workers')
      : undefined;
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
    postgres = await prepareLocalPostgres({
      folder: join(runFolder.path, 'postgres'),
      user: await postgresUser(),
      ...listeners,
      guard: watchdog,
    });
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

    processes.push(gateway.process, booksReact, ...books.map(({ process }) => process));
    await Promise.all([...books.map((book) => book.start()), startListening(booksReact, booksReactPort)]);
    await gateway.start();
    up = true;

    const booksReactUrl = `http://${host}:${booksReactPort}`;
    const database = postgres;
    return {
      gateway,
      books,
      booksReact: { url: booksReactUrl },
      postgres: database,
      addresses: () => [
        { name: 'gateway', url: gateway.url, pid: gateway.process.pid },
        ...books.map(({ name, url, process }) => ({ name, url, pid: process.pid })),
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

function booksProcess(name: string, port: number, extraEnv: NodeJS.ProcessEnv | undefined, listeners: Listeners): BooksProcess {
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
  return {
    name,
    port,
    url: `http://${host}:${port}`,
    process: managed,
    start: async () => {
      await startListening(managed, port);
      await waitUntilReady(managed, `http://${host}:${port}/readyz`);
    },
  };
}

/**
 * Resolves once a books process answers its readiness probe: it listens, and has migrated its
 * database. Until then it answers the books routes with 503.
 */
async function waitUntilReady(managed: ManagedProcess, readyUrl: string, timeoutMs = 15_000): Promise<void> {
  await eventually(
    `${managed.name} is ready`,
    async () => {
      if (!managed.running) throw new LocalRunError(`${managed.name} stopped while starting: ${managed.recentOutput() || 'no output'}`);
      return (await statusOf(readyUrl).catch(() => 0)) === 200;
    },
    timeoutMs,
    50,
    () =>
      new LocalRunError(
        `${managed.name} was not ready within ${timeoutMs / 1000} s (its database): ${managed.recentOutput() || 'no output'}`,
      ),
  );
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
 * The gateway's nginx, rendered into the run folder's `gateway` and checked with `nginx -t` (not
 * started); its workers run as the run folder's account, the only one that may read its secrets.
 */
function prepareGateway(
  runFolder: RunFolder,
  nginxBinary: string,
  listeners: Listeners,
  options: LocalSystemOptions,
  ports: LocalPorts,
): Promise<GatewayNginx> {
  return prepareGatewayNginx({
    launcher: hostNginx(nginxBinary),
    folder: join(runFolder.path, 'gateway'),
    platform: { ...options.gatewayPlatform, workerUser: runFolder.workers?.name },
    ports: { listen: ports.gatewayPort, status: ports.statusPort },
    upstreams: { books: ports.booksPorts, booksReact: [ports.booksReactPort] },
    options: options.gateway,
    secrets: options.gatewaySecrets,
    // Readable by nginx's workers only, each file replaced atomically: whoever reads the HMAC secret can mint tokens.
    writeSecrets: (folder, files) => runFolder.writeSecretFiles(folder, files),
    listeners,
  });
}
