/**
 * One gateway nginx from the renderer, for the local run, the bench and the tests: the gateway
 * rendered with static upstreams on 127.0.0.1, its files and secrets written to a folder, checked,
 * then started and waited for. Which nginx runs it (Debian's, or the gateway image's in a
 * container) is a launcher's part (nginx-launchers.ts).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type GatewayRenderInput,
  type GatewaySecretsInput,
  type NginxPlatform,
  type RenderedGateway,
  healthPath,
  renderGateway,
  renderGatewaySecrets,
} from '../../apps/gateway/src/index.js';
import { eventually } from './eventually.js';
import type { ManagedProcess, OutputListener, ProcessGuard, UnexpectedExitListener } from './managed-process.js';
import { writeNginxFiles } from './nginx.js';
import { reloadNginx } from './nginx-reload.js';
import { UserError } from './user-error.js';

/** Everything the gateway renderer takes besides where it listens, what it fronts and its platform. */
export type GatewayOptions = Omit<GatewayRenderInput, 'listenPort' | 'listenAddress' | 'statusPort' | 'books' | 'booksReact' | 'platform'>;

type RenderedFiles = RenderedGateway['files'];

/** Where the nginx processes' output and unexpected ends go, and who makes sure they end with their owner. */
export interface NginxListeners {
  onOutput: OutputListener;
  onUnexpectedExit: UnexpectedExitListener;
  guard?: ProcessGuard;
}

/** What an nginx master runs on: the files of `folder` and `secretsFolder`, seen by nginx as `platform` says. */
export interface NginxProcessSpec {
  name: string;
  folder: string;
  secretsFolder: string;
  platform: NginxPlatform;
  listeners: NginxListeners;
}

/** One nginx build and the way it is run: its paths, its check, its process. */
export interface NginxLauncher {
  /** The platform nginx runs the files of `folder` on, with `overrides` over its own defaults. */
  platform(folder: string, overrides: Partial<NginxPlatform>): NginxPlatform;
  /** Readies what nginx opens before it reads anything (its access log), and checks the written files (`nginx -t`). */
  prepare(folder: string, platform: NginxPlatform): Promise<void>;
  /** The nginx master in the foreground (not started). */
  process(spec: NginxProcessSpec): ManagedProcess;
  /** Removes what may outlive the process once it has stopped (a container). */
  remove?(): Promise<void>;
}

export interface GatewayNginxSpec {
  /** Its name in output and messages. Default `gateway`. */
  name?: string;
  launcher: NginxLauncher;
  /** Folder on this machine the files are written to (the secrets to its `secrets`). */
  folder: string;
  /** Platform settings over the launcher's (workers, access log, ...). */
  platform?: Partial<NginxPlatform>;
  ports: { listen: number; status: number };
  /** The ports on 127.0.0.1 of the books processes and of the page's server. */
  upstreams: { books: readonly number[]; booksReact: readonly number[] };
  options?: GatewayOptions;
  secrets?: GatewaySecretsInput;
  /** Changes the rendered files before they are written (the bench's variants). */
  editFiles?: (files: RenderedFiles) => RenderedFiles;
  /** Writes the secret files into their folder. Default: plain files, readable by nginx's workers. */
  writeSecrets?: (folder: string, files: Record<string, string>) => Promise<void>;
  listeners?: Partial<NginxListeners>;
}

export interface GatewayNginx {
  /** `http://127.0.0.1:<listen>` (https with tls). */
  readonly url: string;
  readonly port: number;
  /** The status server's health endpoint. */
  readonly statusUrl: string;
  readonly statusPort: number;
  /** The folder of the rendered files. */
  readonly configDir: string;
  readonly platform: NginxPlatform;
  /** The JSON access log file as nginx names it (or `off`). */
  readonly accessLog: string;
  /** The nginx master's process. */
  readonly process: ManagedProcess;
  /** The version of the configuration now running, as its health endpoint reports it. */
  configVersion(): string;
  /** Starts nginx and resolves once its health endpoint answers; stops it again if it never does. */
  start(): Promise<void>;
  /**
   * Renders the configuration again with new options, checks it and reloads nginx (SIGHUP: new
   * workers take over, the old ones finish their requests); resolves once only the new
   * configuration answers new connections.
   */
  reload(options: GatewayOptions, secrets?: GatewaySecretsInput): Promise<void>;
  /** Stops nginx (SIGTERM; SIGQUIT finishes the requests in flight first) and removes what the launcher left. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const host = '127.0.0.1';

/** How long nginx may take to answer after it started (a container's first start included). */
const startTimeoutMs = 15_000;

/** Plain secret files: the folder and files readable by nginx's workers, which may run as another user. */
async function writePlainSecrets(folder: string, files: Record<string, string>): Promise<void> {
  await mkdir(folder, { recursive: true, mode: 0o755 });
  await Promise.all(Object.entries(files).map(([name, contents]) => writeFile(join(folder, name), contents)));
}

/**
 * Renders the gateway into `spec.folder`, writes its secrets and has the launcher check it.
 * Throws nginx's explanation when it refuses the configuration. nginx is not started yet.
 */
export async function prepareGatewayNginx(spec: GatewayNginxSpec): Promise<GatewayNginx> {
  const { launcher, folder, ports } = spec;
  const name = spec.name ?? 'gateway';
  const writeSecrets = spec.writeSecrets ?? writePlainSecrets;
  const secretsFolder = join(folder, 'secrets');
  await mkdir(folder, { recursive: true });
  const platform = launcher.platform(folder, spec.platform ?? {});
  const addresses = (list: readonly number[]) => list.map((port) => `${host}:${port}`);
  const render = (options: GatewayOptions) => {
    const rendered = renderGateway({
      ...options,
      listenPort: ports.listen,
      listenAddress: host,
      statusPort: ports.status,
      books: { kind: 'static', addresses: addresses(spec.upstreams.books) },
      booksReact: { kind: 'static', addresses: addresses(spec.upstreams.booksReact) },
      platform,
    });
    return { files: spec.editFiles ? spec.editFiles(rendered.files) : rendered.files, version: rendered.version };
  };
  // The secrets folder as the cluster mounts it from a Kubernetes Secret, apart from the config.
  const write = async (options: GatewayOptions, secrets: GatewaySecretsInput, files: RenderedFiles) => {
    await writeSecrets(secretsFolder, renderGatewaySecrets(secrets, options));
    await writeNginxFiles(folder, platform.runDir, files);
  };

  // What the files on disk hold, and the version nginx runs (behind them while it reloads).
  let applied = { options: spec.options ?? {}, secrets: spec.secrets ?? {}, ...render(spec.options ?? {}) };
  let runningVersion = applied.version;
  await write(applied.options, applied.secrets, applied.files);
  await launcher.prepare(folder, platform);
  const listeners: NginxListeners = { onOutput: () => undefined, onUnexpectedExit: () => undefined, ...spec.listeners };
  const managed = launcher.process({ name, folder, secretsFolder, platform, listeners });
  const statusUrl = `http://${host}:${ports.status}${healthPath}`;
  const stop = async (signal?: NodeJS.Signals) => {
    await managed.stop(signal);
    await launcher.remove?.();
  };

  return {
    url: `${spec.options?.tls ? 'https' : 'http'}://${host}:${ports.listen}`,
    port: ports.listen,
    statusUrl,
    statusPort: ports.status,
    configDir: folder,
    platform,
    accessLog: platform.accessLog ?? 'off',
    process: managed,
    configVersion: () => runningVersion,
    async start() {
      managed.start();
      try {
        await eventually(
          `${name} answers`,
          // Its workers answer once the master has opened every listening socket, the public one too.
          async () => {
            if (!managed.running) throw new UserError(`${name} stopped while starting: ${managed.recentOutput() || 'no output'}`);
            const health = await fetch(statusUrl).catch(() => undefined);
            await health?.arrayBuffer();
            return health?.ok === true;
          },
          startTimeoutMs,
          50,
          () =>
            new UserError(
              `${name} did not answer on ${statusUrl} within ${startTimeoutMs / 1000} s: ${managed.recentOutput() || 'no output'}`,
            ),
        );
      } catch (error) {
        await stop();
        throw error;
      }
    },
    async reload(options, secrets = applied.secrets) {
      const next = render(options);
      await write(options, secrets, next.files);
      try {
        await launcher.prepare(folder, platform);
      } catch (error) {
        // Put back the files nginx runs on, so that a later restart still starts.
        await write(applied.options, applied.secrets, applied.files);
        throw error;
      }
      applied = { options, secrets, ...next };
      await reloadNginx(managed, statusUrl, next.version);
      runningVersion = next.version;
    },
    stop,
  };
}
