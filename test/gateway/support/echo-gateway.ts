import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
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
import type { ManagedProcess } from '../../../scripts/toolkit/managed-process.js';
import { locateNginx, nginxProcess, testNginxConfig, writeNginxFiles } from '../../../scripts/toolkit/nginx.js';
import { freePort, waitUntilListening } from '../../../scripts/local/ports.js';
import { type NginxBuild, readStandInFile, removeStandInContainer, standInNginxProcess, standInPlatform } from './nginx-builds.js';

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
  /** The body bytes the backend received with each request it answered, in that order. */
  readonly bodyBytes: number[];
  /** Every line nginx wrote (its error log is stderr), oldest first. */
  readonly nginxOutput: string[];
  /** The JSON access log, byte for byte. */
  accessLogBytes(): Promise<Buffer>;
  /** Stops nginx as the kubelet does (SIGQUIT: graceful, as the image's STOPSIGNAL says). */
  stop(): Promise<void>;
}

/** What the echo backend answers, by path; anything else gets its path echoed at once. */
export const echoPaths = {
  /** Answers after a second: a request held open, for the connection limit. */
  slow: '/books/slow',
  /** Answers 4 MiB: more than nginx's buffers hold while a client reads slowly. */
  large: '/books/large',
};
const largeAnswerBytes = 4 * 1024 * 1024;

/**
 * The real gateway nginx in front of a tiny echo backend (for both routes) that records each
 * request's headers and answers like an Express app would (with `X-Powered-By`): for what the
 * books API does not show, such as the headers the gateway passes on. Started before the
 * file's tests on free ports, stopped after them; on Debian's nginx, or on the stand-in of the
 * gateway image's in a container with the pod's restrictions (support/nginx-builds.ts).
 */
export function useEchoGateway(
  options: GatewayOptions = {},
  secrets: () => GatewaySecretsInput = () => ({}),
  build: NginxBuild = 'debian',
  /** Platform settings over Debian's (the stand-in runs the cluster's). */
  debianOverrides: Partial<NginxPlatform> = {},
): () => EchoGateway {
  let gateway: EchoGateway | undefined;
  let nginx: ManagedProcess | undefined;
  let folder: string | undefined;
  const container = `gateway-echo-${randomBytes(4).toString('hex')}`;
  const nginxOutput: string[] = [];
  const backend = createServer((request, response) => {
    gateway?.seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers });
    let bodyBytes = 0;
    request.on('data', (chunk: Buffer) => (bodyBytes += chunk.length));
    request.on('end', () => setTimeout(() => {
      gateway?.bodyBytes.push(bodyBytes);
      response.writeHead(200, { 'Content-Type': 'application/json', 'X-Powered-By': 'Express', 'X-Frame-Options': 'SAMEORIGIN' });
      response.end(request.url === echoPaths.large ? `"${'a'.repeat(largeAnswerBytes - 2)}"` : JSON.stringify({ echo: request.url }));
    }, request.url === echoPaths.slow ? 1000 : 0));
  });

  before(async function () {
    // The first run on the stand-in may have to make its image (test/metrics/fold.test.ts).
    this.timeout(build === 'debian' ? 20_000 : 1_200_000);
    backend.listen(0, '127.0.0.1');
    await once(backend, 'listening');
    const address = backend.address();
    if (address === null || typeof address === 'string') throw new Error('echo backend has no port');
    folder = await mkdtemp(join(tmpdir(), 'gateway-echo-'));
    // Readable by nginx's workers, which run as another user than the test's.
    await chmod(folder, 0o755);
    const platform = build === 'debian' ? debianPlatform(folder, { workerProcesses: 1, ...debianOverrides }) : standInPlatform;
    const [port, statusPort] = [await freePort(), await freePort()];
    const upstream = { kind: 'static' as const, addresses: [`127.0.0.1:${address.port}`] };
    const input = { ...options, listenPort: port, listenAddress: '127.0.0.1', statusPort, books: upstream, booksReact: upstream, platform };
    const secretsFolder = join(folder, 'secrets');
    const runFolder = join(folder, 'run');
    await mkdir(secretsFolder, { mode: 0o755 });
    await writeNginxFiles(secretsFolder, runFolder, renderGatewaySecrets(secrets(), input));
    await writeNginxFiles(folder, runFolder, renderGateway(input).files);
    const onOutput = (_component: string, line: string) => nginxOutput.push(line);
    if (build === 'debian') {
      const binary = locateNginx();
      await testNginxConfig(binary, folder);
      nginx = nginxProcess('gateway', binary, folder, onOutput, () => undefined);
    } else {
      nginx = await standInNginxProcess(container, folder, secretsFolder, onOutput);
    }
    nginx.start();
    await waitUntilListening(nginx, '127.0.0.1', port);
    const accessLog = platform.accessLog ?? '';
    gateway = {
      url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
      port,
      statusPort,
      platform,
      backendUrl: `http://127.0.0.1:${address.port}`,
      seen: [],
      bodyBytes: [],
      nginxOutput,
      accessLogBytes: () => (build === 'debian' ? readFile(accessLog) : readStandInFile(container, accessLog)),
      stop: async () => nginx?.stop('SIGQUIT'),
    };
  });
  after(async function () {
    this.timeout(30_000);
    await nginx?.stop();
    if (build === 'stand-in') await removeStandInContainer(container);
    backend.closeAllConnections();
    backend.close();
    if (folder) await rm(folder, { recursive: true, force: true });
  });
  return () => {
    if (!gateway) throw new Error('the echo gateway did not start');
    return gateway;
  };
}
