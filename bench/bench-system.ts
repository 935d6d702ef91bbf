/**
 * Everything the bench drives load at, on 127.0.0.1: two books processes (LOG_LEVEL=warn, so the
 * figures are the proxies' cost, not the API's request logging) and the page, started as
 * `npm run local` starts them; two memory backends answering GET /books with the API's own body
 * (bench/memory-backend.ts); the tutorial's nginx, one gateway nginx per variant (the default
 * rendering among them) and the peers (HAProxy, Caddy, a bare nginx proxy), all in front of
 * those two memory backends, so every case has the same backend, and one that is never the
 * bottleneck; the gateway with auth once more in front of the books processes, for the reads and
 * writes of the real API; and the page served from precompressed files behind one more gateway.
 * Every nginx among those cases runs the build the bench was given (Debian's, or the stand-in of
 * the gateway image's); the memory backends and the local run's own servers are Debian's, the
 * same whichever is measured.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mainConfigFile } from '../apps/gateway/src/index.js';
import { renderBooksReactSite } from '../scripts/toolkit/books-react-site.js';
import { startLocalSystem } from '../scripts/local/local-system.js';
import { type NginxBuild, locateNginx } from '../scripts/toolkit/nginx.js';
import { freePort, freePorts } from '../scripts/toolkit/ports.js';
import { hostNginx } from '../scripts/toolkit/nginx-launchers.js';
import {
  type BackendPorts,
  type GatewayVariant,
  authGateway,
  defaultGateway,
  loadGeneratorRateLimit,
  prepareGatewayVariant,
  tutorialNginxConf,
} from './configurations.js';
import { booksListBody, startMemoryBackends } from './memory-backend.js';
import { type RunningServer, runDirOf, runningServer, startNginxServer } from './nginx-server.js';
import { type PeerName, type PeerSettings, startPeer } from './peer-server.js';

export interface BenchSystem {
  /** The books processes, each on its own port. */
  booksUrls: string[];
  /** The memory backends, each on its own port: what the proxies of the gateway table front. */
  memoryUrls: string[];
  tutorial: RunningServer;
  /** One gateway per variant, in front of the memory backends. */
  variants: Map<string, RunningServer>;
  /** The gateway with auth (`authGateway`) in front of the books processes. */
  apiGateway: RunningServer;
  peers: Map<PeerName, RunningServer>;
  /** A default gateway in front of the page compressed per request (no `gzip_static`). */
  perRequestGzipPageGatewayUrl: string;
  /** Path of the page's JavaScript bundle (hashed name). */
  bundlePath: string;
  stop(): Promise<void>;
}

const repoRoot = join(__dirname, '..');
const pageDist = join(repoRoot, 'apps/books-react/dist');
const pageSiteConf = join(repoRoot, 'apps/books-react/nginx/site.conf');

/** The bundle index.html loads, e.g. `/assets/index-LRrkwHS5.js`. */
async function bundlePathOfPage(): Promise<string> {
  const html = await readFile(join(pageDist, 'index.html'), 'utf8');
  const match = /src="(\/assets\/[^"]+\.js)"/.exec(html);
  if (!match?.[1])
    throw new Error('apps/books-react/dist/index.html names no /assets/*.js bundle: npm run build --prefix apps/books-react');
  return match[1];
}

/**
 * The page's site.conf without `gzip_static on`: nginx then compresses the bundle again on every
 * request, as it did before the build wrote .gz files; the bench shows what that step buys.
 */
async function perRequestCompressionSiteConf(folder: string): Promise<string> {
  const original = await readFile(pageSiteConf, 'utf8');
  if (!/^gzip_static on;$/m.test(original)) throw new Error(`${pageSiteConf} has no 'gzip_static on;' line to take out`);
  await mkdir(folder, { recursive: true });
  const siteConf = join(folder, 'site.conf');
  await writeFile(siteConf, original.replace(/^gzip_static on;\n/m, ''));
  return siteConf;
}

export async function startBenchSystem(
  variants: readonly GatewayVariant[],
  peers: readonly PeerName[],
  workers: number,
  nginx: NginxBuild,
): Promise<BenchSystem> {
  const system = await startLocalSystem({
    gatewayPort: 0,
    booksProcesses: 2,
    booksEnv: { LOG_LEVEL: 'warn' },
    gateway: { rateLimit: loadGeneratorRateLimit },
  });
  const workDir = await mkdtemp(join(tmpdir(), 'books-gateway-bench-'));
  // Readable by nginx's workers, which run as `nobody` when the master runs as root.
  await chmod(workDir, 0o755);
  const servers: RunningServer[] = [];
  const stop = async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await system.stop();
    await rm(workDir, { recursive: true, force: true });
  };

  /** An nginx in its own subfolder of the bench's folder, on a free port. */
  const folderOf = (name: string) => join(workDir, name.replace(/[^a-z0-9]+/gi, '-'));
  const startServer = async (name: string, files: (folder: string, port: number) => Record<string, string>): Promise<RunningServer> => {
    const folder = folderOf(name);
    const port = await freePort();
    const server = await startNginxServer({
      name,
      nginxBinary: nginx.binary,
      folder,
      runDir: runDirOf(folder),
      port,
      files: files(folder, port),
    });
    servers.push(server);
    return server;
  };
  const startGateway = async (variant: GatewayVariant, backends: BackendPorts): Promise<RunningServer> => {
    const [listen, status] = await freePorts(2);
    if (listen === undefined || status === undefined) throw new Error('no free ports');
    const gateway = await prepareGatewayVariant(
      variant,
      folderOf(`gateway ${variant.name}`),
      { listen, status },
      backends,
      hostNginx(nginx),
    );
    await gateway.start();
    const server = runningServer(gateway.url, gateway.process, () => gateway.stop());
    servers.push(server);
    return server;
  };

  try {
    const books = system.books.map(({ port }) => port);
    const booksReact = Number(new URL(system.booksReact.url).port);
    const [firstBooks] = system.books;
    if (!firstBooks) throw new Error('the local system started no books process');
    const memory = await startMemoryBackends(locateNginx(), workDir, await booksListBody(firstBooks.url), books.length);
    servers.push(...memory);
    const memoryUrls = memory.map(({ url }) => url);
    const backends: BackendPorts = { books: memoryUrls.map((url) => Number(new URL(url).port)), booksReact };

    const tutorial = await startServer('tutorial', (folder, port) => ({
      [mainConfigFile]: tutorialNginxConf(port, backends, runDirOf(folder)),
    }));

    const runningVariants = new Map<string, RunningServer>();
    for (const variant of variants) {
      runningVariants.set(variant.name, await startGateway(variant, backends));
    }
    const peerSettings: PeerSettings = { ...backends, workers, rateLimit: loadGeneratorRateLimit };
    const runningPeers = new Map<PeerName, RunningServer>();
    for (const name of peers) {
      const peer = await startPeer(name, folderOf(`peer ${name}`), await freePort(), peerSettings, nginx.binary);
      servers.push(peer);
      runningPeers.set(name, peer);
    }

    const apiGateway = await startGateway(
      { ...authGateway.variant, name: `${authGateway.variant.name} on the API` },
      { books, booksReact },
    );

    const siteConf = await perRequestCompressionSiteConf(join(workDir, 'per-request-gzip'));
    const perRequestSite = await startServer('page gzip per request', (folder, port) => ({
      [mainConfigFile]: renderBooksReactSite({ host: '127.0.0.1', port, root: pageDist, siteConf, runDir: runDirOf(folder) }),
    }));
    const perRequestGateway = await startGateway(
      { ...defaultGateway, name: 'page gzip per request' },
      {
        books,
        booksReact: Number(new URL(perRequestSite.url).port),
      },
    );

    return {
      booksUrls: system.books.map(({ url }) => url),
      memoryUrls,
      tutorial,
      variants: runningVariants,
      apiGateway,
      peers: runningPeers,
      perRequestGzipPageGatewayUrl: perRequestGateway.url,
      bundlePath: await bundlePathOfPage(),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
