import { once } from 'node:events';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { type IncomingHttpHeaders, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type GatewaySecretsInput,
  type NginxPlatform,
  debianPlatform,
  renderGateway,
  renderGatewaySecrets,
} from '../../../apps/gateway/src/index.js';
import type { GatewayOptions } from '../../../scripts/local/local-system.js';
import type { ManagedProcess } from '../../../scripts/local/managed-process.js';
import { locateNginx, nginxProcess, testNginxConfig, writeNginxFiles } from '../../../scripts/local/nginx.js';
import { freePort, waitUntilListening } from '../../../scripts/local/ports.js';

/** What the echo backend saw of the last request that reached it. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

export interface EchoGateway {
  /** `http://127.0.0.1:<port>` (or https when tls). */
  readonly url: string;
  readonly port: number;
  readonly statusPort: number;
  readonly platform: NginxPlatform;
  /** The echo backend itself (`http://127.0.0.1:<port>`). */
  readonly backendUrl: string;
  /** Requests the backend received, oldest first. */
  readonly seen: SeenRequest[];
  /** Every line nginx wrote (its error log is stderr), oldest first. */
  readonly nginxOutput: string[];
}

/**
 * The real gateway nginx in front of a tiny echo backend (for both routes) that records each
 * request's headers and answers like an Express app would (with `X-Powered-By`): for what the
 * books API does not show, such as the headers the gateway passes on. Started before the
 * file's tests on free ports, stopped after them.
 */
export function useEchoGateway(options: GatewayOptions = {}, secrets: () => GatewaySecretsInput = () => ({})): () => EchoGateway {
  let gateway: EchoGateway | undefined;
  let nginx: ManagedProcess | undefined;
  let folder: string | undefined;
  const nginxOutput: string[] = [];
  const backend = createServer((request, response) => {
    gateway?.seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers });
    request.resume();
    // `/books/slow` answers after a second: a request held open, for the connection limit.
    request.on('end', () => setTimeout(() => {
      response.writeHead(200, { 'Content-Type': 'application/json', 'X-Powered-By': 'Express', 'X-Frame-Options': 'SAMEORIGIN' });
      response.end(JSON.stringify({ echo: request.url }));
    }, request.url === '/books/slow' ? 1000 : 0));
  });

  before(async function () {
    this.timeout(20000);
    backend.listen(0, '127.0.0.1');
    await once(backend, 'listening');
    const address = backend.address();
    if (address === null || typeof address === 'string') throw new Error('echo backend has no port');
    folder = await mkdtemp(join(tmpdir(), 'gateway-echo-'));
    // Readable by nginx's workers, which run as `nobody` when the master runs as root.
    await chmod(folder, 0o755);
    const platform = debianPlatform(folder, { workerProcesses: 1 });
    const [port, statusPort] = [await freePort(), await freePort()];
    const upstream = { kind: 'static' as const, addresses: [`127.0.0.1:${address.port}`] };
    const input = { ...options, listenPort: port, listenAddress: '127.0.0.1', statusPort, books: upstream, booksReact: upstream, platform };
    await mkdir(platform.secretsDir);
    await writeNginxFiles(platform.secretsDir, platform.runDir, renderGatewaySecrets(secrets(), input));
    await writeNginxFiles(folder, platform.runDir, renderGateway(input).files);
    const binary = locateNginx();
    await testNginxConfig(binary, folder);
    nginx = nginxProcess('gateway', binary, folder, (_component, line) => nginxOutput.push(line), () => undefined);
    nginx.start();
    await waitUntilListening(nginx, '127.0.0.1', port);
    gateway = {
      url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
      port,
      statusPort,
      platform,
      backendUrl: `http://127.0.0.1:${address.port}`,
      seen: [],
      nginxOutput,
    };
  });
  after(async () => {
    await nginx?.stop();
    backend.closeAllConnections();
    backend.close();
    if (folder) await rm(folder, { recursive: true, force: true });
  });
  return () => {
    if (!gateway) throw new Error('the echo gateway did not start');
    return gateway;
  };
}
