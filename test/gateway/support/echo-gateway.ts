import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { type IncomingHttpHeaders, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GatewaySecretsInput, type NginxPlatform, clusterPlatform } from '../../../apps/gateway/src/index.js';
import { standInBaseImages } from '../../../scripts/images/stand-ins.js';
import { type GatewayNginx, type GatewayOptions, prepareGatewayNginx } from '../../../scripts/toolkit/gateway-nginx.js';
import { containerNginx, hostNginx } from '../../../scripts/toolkit/nginx-launchers.js';
import { freePorts } from '../../../scripts/toolkit/ports.js';
import { type NginxBuild, readStandInFile } from './nginx-builds.js';

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
  let nginx: GatewayNginx | undefined;
  let folder: string | undefined;
  const container = `gateway-echo-${randomBytes(4).toString('hex')}`;
  const nginxOutput: string[] = [];
  const backend = createServer((request, response) => {
    gateway?.seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers });
    let bodyBytes = 0;
    request.on('data', (chunk: Buffer) => (bodyBytes += chunk.length));
    request.on('end', () =>
      setTimeout(
        () => {
          gateway?.bodyBytes.push(bodyBytes);
          response.writeHead(200, { 'Content-Type': 'application/json', 'X-Powered-By': 'Express', 'X-Frame-Options': 'SAMEORIGIN' });
          response.end(request.url === echoPaths.large ? `"${'a'.repeat(largeAnswerBytes - 2)}"` : JSON.stringify({ echo: request.url }));
        },
        request.url === echoPaths.slow ? 1000 : 0,
      ),
    );
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
    const [port, statusPort] = await freePorts(2);
    if (port === undefined || statusPort === undefined) throw new Error('no free ports');
    nginx = await prepareGatewayNginx({
      launcher: build === 'debian' ? hostNginx() : containerNginx((await standInBaseImages()).nginx, container),
      folder,
      // One worker; on the stand-in, the access log in the run folder, where a test can read it.
      platform:
        build === 'debian'
          ? { workerProcesses: 1, ...debianOverrides }
          : { workerProcesses: 1, accessLog: `${clusterPlatform.runDir}/access.log` },
      ports: { listen: port, status: statusPort },
      upstreams: { books: [address.port], booksReact: [address.port] },
      options,
      secrets: secrets(),
      listeners: { onOutput: (_component, line) => nginxOutput.push(line) },
    });
    await nginx.start();
    const { platform } = nginx;
    const accessLog = platform.accessLog ?? '';
    gateway = {
      url: nginx.url,
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
    backend.closeAllConnections();
    backend.close();
    if (folder) await rm(folder, { recursive: true, force: true });
  });
  return () => {
    if (!gateway) throw new Error('the echo gateway did not start');
    return gateway;
  };
}
