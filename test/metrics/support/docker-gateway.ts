import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { clusterPlatform, gatewayImageCommand, gatewayPorts, healthPath } from '../../../apps/gateway/src/index.js';
import { runProgram } from '../../support/program-harness.js';
import { dockerDesktop } from '../../support/scenarios.js';
import { builtPage } from '../../books-react/support/page-build.js';
import { eventually } from '../../support/eventually.js';
import { standInBaseImages } from '../../../scripts/rehearse/images/stand-ins.js';
import { containerAddress, docker, publishedPort, removeAll, testLabel } from './docker.js';

const repoRoot = resolve(__dirname, '../../..');

export interface DockerGateway {
  /** The public port, published on 127.0.0.1: `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The status port's address on the Docker network (never published), as Prometheus scrapes it. */
  readonly statusTarget: string;
  readonly network: string;
  /** Two books containers, as the Deployment's two replicas, behind one headless name. */
  readonly containers: { gateway: string; books: readonly [string, string]; page: string };
}

/** The upstream servers the rendered configuration asks DNS for: `upstream name` to host and port. */
function upstreamHosts(nginxConf: string): Map<string, { host: string; port: number }> {
  const hosts = new Map<string, { host: string; port: number }>();
  for (const match of nginxConf.matchAll(/upstream (\S+) \{[^}]*?server ([^\s:]+):(\d+) resolve/g)) {
    hosts.set(match[1] ?? '', { host: match[2] ?? '', port: Number(match[3]) });
  }
  return hosts;
}

function hostOf(hosts: Map<string, { host: string; port: number }>, upstream: string): { host: string; port: number } {
  const found = hosts.get(upstream);
  if (!found) throw new Error(`the cluster configuration has no DNS upstream '${upstream}'`);
  return found;
}

/**
 * The gateway as the cluster runs it, on Docker: the configuration the program registers (its
 * ConfigMap, under mocks, for the docker-desktop stack) in an nginx with njs >= 0.8, hardened
 * like the pod, on a network where the real books API and the real page answer under their
 * headless Services' names. Only the public port is published; the status port is reached
 * across the Docker network. Started before the file's tests, removed after them.
 */
export function useDockerGateway(): () => DockerGateway {
  const prefix = `metrics-${randomBytes(3).toString('hex')}`;
  const network = `${prefix}-net`;
  const containers = { gateway: `${prefix}-gateway`, books: [`${prefix}-books-1`, `${prefix}-books-2`] as const, page: `${prefix}-page` };
  let folder: string | undefined;
  let gateway: DockerGateway | undefined;

  before(async function () {
    this.timeout(600_000);
    // No registry is reachable here: the base images' stand-ins (Debian sid: nginx 1.30 with njs 1.0, the official Node), built once.
    const standInImages = await standInBaseImages();
    const run = await runProgram(dockerDesktop);
    const files = run.named('kubernetes:core/v1:ConfigMap', 'gateway-config').inputs['data'] as Record<string, string>;
    const hosts = upstreamHosts(files['nginx.conf'] ?? '');
    folder = await mkdtemp(join(tmpdir(), 'metrics-gateway-'));
    await chmod(folder, 0o755);
    for (const [name, text] of Object.entries(files)) await writeFile(join(folder, name), text, { mode: 0o644 });
    const page = await builtPage();

    const label = ['--label', testLabel];
    const hardened = ['--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges'];
    await docker('network', 'create', ...label, network);
    const books = hostOf(hosts, 'books');
    for (const name of containers.books) {
      // The container outlives the API (`stopBooksProcess`): its address stays, its port closes.
      await docker('run', '-d', ...label, '--name', name, '--network', network, '--network-alias', books.host,
        ...hardened, '--tmpfs', '/tmp', '--user', '1000:1000', '-e', `PORT=${books.port}`, '-e', 'LOG_LEVEL=warn',
        '-v', `${repoRoot}:/app:ro`, '-w', '/app/apps/books', standInImages.node,
        'sh', '-c', 'node --import tsx src/server.ts & echo $! > /tmp/books.pid; wait; exec sleep infinity');
    }
    const pageHost = hostOf(hosts, 'books_react');
    const pageConfig = join(repoRoot, 'apps/books-react/nginx');
    await docker('run', '-d', ...label, '--name', containers.page, '--network', network, '--network-alias', pageHost.host,
      ...hardened, '--tmpfs', '/tmp:uid=101,gid=101', '--user', '101:101',
      '-v', `${pageConfig}/nginx.conf:/etc/nginx/nginx.conf:ro`, '-v', `${pageConfig}/site.conf:/etc/nginx/site.conf:ro`,
      '-v', `${page}:/usr/share/nginx/html:ro`, standInImages.nginx, 'nginx', '-e', 'stderr', '-g', 'daemon off;');
    await docker('run', '-d', ...label, '--name', containers.gateway, '--network', network,
      // The cluster's resolver name, answered by Docker's embedded DNS as kube-dns would.
      '--add-host', `${clusterPlatform.resolver}:127.0.0.11`,
      ...hardened, '--tmpfs', `${clusterPlatform.runDir}:uid=101,gid=101`, '--user', '101:101',
      '-v', `${folder}:${clusterPlatform.configDir}:ro`, '-p', `127.0.0.1::${gatewayPorts.public}`,
      standInImages.nginx, ...gatewayImageCommand);

    const url = `http://127.0.0.1:${await publishedPort(containers.gateway, gatewayPorts.public)}`;
    const statusTarget = `${await containerAddress(containers.gateway, network)}:${gatewayPorts.status}`;
    gateway = { url, statusTarget, network, containers };
    await eventually('the gateway answers on its status port', async () => (await fetch(`http://${statusTarget}${healthPath}`).catch(() => undefined))?.ok === true, 20_000);
    // nginx caches a name that did not resolve yet for 10 s (`valid=10s`): wait for both routes.
    await eventually('both routes reach their backends', async () => {
      const answers = await Promise.all([`${url}/books`, `${url}/`].map((address) => fetch(address).catch(() => undefined)));
      return answers.every((answer) => answer?.status === 200);
    }, 40_000);
  });

  after(async function () {
    this.timeout(60_000);
    await removeAll([containers.gateway, containers.page, ...containers.books], network);
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  return () => {
    if (!gateway) throw new Error('the Docker gateway is not running (its before hook failed)');
    return gateway;
  };
}

/** Stops the books API in one container (SIGTERM) and leaves the container up: connections to it are refused. */
export async function stopBooksProcess(container: string): Promise<void> {
  await docker('exec', container, 'sh', '-c', 'kill $(cat /tmp/books.pid)');
}
