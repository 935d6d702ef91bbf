import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type GatewayRenderInput,
  clusterPlatform,
  debianPlatform,
  gatewayImageCommand,
  gatewayPorts,
  headlessServiceUpstream,
  renderGateway,
} from '../../apps/gateway/src/index.js';
import { locateNginx, testNginxConfig, writeNginxFiles } from '../../scripts/toolkit/nginx.js';

const clusterInput: GatewayRenderInput = {
  listenPort: gatewayPorts.public,
  books: headlessServiceUpstream('books', 'books-gateway', 5000),
  booksReact: headlessServiceUpstream('books-react', 'books-gateway', 3000),
  platform: clusterPlatform,
};

function localInput(folder: string): GatewayRenderInput {
  return {
    listenPort: 18080,
    listenAddress: '127.0.0.1',
    statusPort: 18081,
    books: { kind: 'static', addresses: ['127.0.0.1:15001', '127.0.0.1:15002'] },
    booksReact: { kind: 'static', addresses: ['127.0.0.1:13000'] },
    platform: debianPlatform(folder),
  };
}

describe('gateway configuration renderer', () => {
  let folder: string;
  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'gateway-render-'));
  });
  after(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('renders a configuration that nginx -t accepts without a warning, also without a burst, and with CORS origins', async () => {
    const variants: Partial<GatewayRenderInput>[] = [
      {},
      { rateLimit: { requestsPerSecond: 5, burst: 0, connectionsPerClient: 5 } },
      { corsOrigins: ['https://app.example.com'] },
    ];
    for (const variant of variants) {
      const input = { ...localInput(folder), ...variant };
      await writeNginxFiles(folder, input.platform.runDir, renderGateway(input).files);
      const report = await testNginxConfig(locateNginx(), folder);
      assert.match(report, /test is successful/);
      assert.doesNotMatch(report, /\[warn\]/);
    }
  });

  it('gives the cluster re-resolved headless Service upstreams with a keepalive pool', () => {
    const conf = renderGateway(clusterInput).files['nginx.conf'] ?? '';
    assert.match(conf, /upstream books \{\n\s+zone books \d+k;\n\s+server books\.books-gateway\.svc\.cluster\.local:5000 resolve /);
    assert.match(conf, /server books-react\.books-gateway\.svc\.cluster\.local:3000 resolve /);
    assert.match(conf, /resolver kube-dns\.kube-system\.svc\.cluster\.local valid=\d+s/);
    assert.match(conf, /keepalive_timeout 30s;/);
    assert.match(conf, /listen 8080 reuseport;/);
    assert.match(conf, /listen 8081;/);
    // Everything nginx writes stays in the pod's emptyDir.
    assert.match(conf, /pid \/tmp\/nginx\/nginx\.pid;/);
    assert.match(conf, /proxy_temp_path \/tmp\/nginx\/proxy;/);
    assert.match(conf, /include \/etc\/nginx\/gateway\/json-errors\.conf;/);
    assert.match(conf, /access_log \/dev\/stdout gateway_json buffer=64k flush=1s;/);
  });

  it('gives static upstreams plain server lines and no resolver', () => {
    const conf = renderGateway(localInput(folder)).files['nginx.conf'] ?? '';
    assert.match(conf, /server 127\.0\.0\.1:15001 max_fails/);
    assert.match(conf, /server 127\.0\.0\.1:15002 max_fails/);
    assert.doesNotMatch(conf, /resolve|resolver/);
  });

  it('refuses input nginx could not run, naming what to fix', () => {
    const withoutResolver = { ...clusterInput, platform: { ...clusterPlatform, resolver: undefined } };
    assert.throws(() => renderGateway(withoutResolver), /platform\.resolver is required/);
    assert.throws(
      () => renderGateway({ ...clusterInput, listenPort: 70000 }),
      /listenPort must be a port number from 1 to 65535, got 70000/,
    );
    assert.throws(() => renderGateway({ ...clusterInput, statusPort: 8080 }), /statusPort must differ/);
    assert.throws(
      () => renderGateway({ ...clusterInput, books: { kind: 'static', addresses: [] } }),
      /books: a static upstream needs at least one address/,
    );
    assert.throws(
      () => renderGateway({ ...clusterInput, booksReact: { kind: 'static', addresses: ['localhost'] } }),
      /booksReact: static upstream address 'localhost' is not host:port/,
    );
    assert.throws(() => renderGateway({ ...clusterInput, timeouts: { read: 0 } }), /timeouts\.read/);
    assert.throws(() => renderGateway({ ...clusterInput, clientTimeout: 0 }), /clientTimeout must be a whole number/);
    assert.throws(
      () => renderGateway({ ...clusterInput, platform: { ...clusterPlatform, workerUser: 'nginx; daemon on' } }),
      /platform\.workerUser/,
    );
  });

  it('matches the image: its Dockerfile runs the same command on the same ports', async () => {
    const dockerfile = await readFile(join(__dirname, '../../apps/gateway/Dockerfile'), 'utf8');
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    assert.deepEqual(JSON.parse(cmd ?? 'null'), gatewayImageCommand);
    assert.match(dockerfile, new RegExp(`^EXPOSE ${gatewayPorts.public} ${gatewayPorts.status}$`, 'm'));
    // The base image is a build argument (a rehearsal passes a stand-in); its default is an
    // exact tag of the unprivileged alpine image, pinned by digest, new enough for `server ... resolve`.
    assert.match(dockerfile, /^FROM \$\{NGINX_IMAGE\}$/m);
    const tag = /^ARG NGINX_IMAGE=nginxinc\/nginx-unprivileged:(\d+)\.(\d+)\.(\d+)-alpine[\d.]*@sha256:[0-9a-f]{64}$/m.exec(dockerfile);
    assert.ok(tag, 'NGINX_IMAGE must default to an exact nginxinc/nginx-unprivileged alpine tag, pinned by digest');
    const [major, minor, patch] = tag.slice(1).map(Number);
    assert.ok(
      (major ?? 0) * 1e6 + (minor ?? 0) * 1e3 + (patch ?? 0) >= 1_027_003,
      'the image needs nginx >= 1.27.3 for re-resolved upstreams',
    );
  });
});
