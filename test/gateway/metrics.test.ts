import { strict as assert } from 'node:assert';
import { stubStatusPath } from '../../apps/gateway/src/index.js';
import { ManagedProcess } from '../../scripts/local/managed-process.js';
import { freePort, waitUntilListening } from '../../scripts/local/ports.js';
import { jsonLogRecords } from './support/access-log.js';
import { useEchoGateway } from './support/echo-gateway.js';
import { request } from './support/http.js';
import { eventually } from '../support/eventually.js';

const exporterBinary = '/usr/bin/prometheus-nginx-exporter';

describe('metrics: stub_status on the status port, for the Prometheus exporter', function () {
  this.timeout(20000);
  const gateway = useEchoGateway();
  let exporter: ManagedProcess | undefined;
  let exporterPort = 0;

  before(async () => {
    exporterPort = await freePort();
    // Debian's exporter (0.11): the same flags the cluster's sidecar gets.
    exporter = new ManagedProcess(
      {
        name: 'nginx-exporter',
        command: exporterBinary,
        args: [
          `-nginx.scrape-uri=http://127.0.0.1:${gateway().statusPort}${stubStatusPath}`,
          `-web.listen-address=127.0.0.1:${exporterPort}`,
        ],
      },
      () => undefined,
      () => undefined,
    );
    exporter.start();
    await waitUntilListening(exporter, '127.0.0.1', exporterPort);
  });
  after(async () => {
    await exporter?.stop();
  });

  it('serves nginx_connections_active and nginx_http_requests_total in Prometheus text format, counting requests', async () => {
    const scrape = async () => {
      const reply = await request(`http://127.0.0.1:${exporterPort}/metrics`);
      assert.equal(reply.status, 200);
      assert.match(reply.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      assert.match(reply.body, /^# TYPE nginx_connections_active gauge$/m);
      assert.match(reply.body, /^nginx_up 1$/m);
      return Number(/^nginx_http_requests_total (\d+)$/m.exec(reply.body)?.[1]);
    };
    const before = await scrape();
    await Promise.all(Array.from({ length: 5 }, () => request(`${gateway().url}/books`)));
    // Each scrape is one request on the status server too.
    assert.ok((await scrape()) >= before + 5, 'the five public requests are counted');
  });

  it('exposes none of it on the public port', async () => {
    for (const path of [stubStatusPath, '/metrics']) {
      const reply = await request(`${gateway().url}${path}`);
      assert.doesNotMatch(reply.body, /Active connections|nginx_/, path);
      // It is an ordinary path of the page, answered by the page's backend.
      assert.deepEqual(JSON.parse(reply.body), { echo: path });
    }
    const status = await request(`http://127.0.0.1:${gateway().statusPort}${stubStatusPath}`);
    assert.match(status.body, /^Active connections: \d+/);
  });

  it('logs each request as JSON with its route, status, upstream and times', async () => {
    const id = `metrics-${Date.now()}`;
    await request(`${gateway().url}/books/1`, { headers: { 'X-Request-Id': id } });
    const log = gateway().platform.accessLog ?? '';
    let entry: Record<string, unknown> | undefined;
    await eventually('the request is logged', async () => {
      entry = (await jsonLogRecords(log)).find((record) => record['requestId'] === id);
      return entry !== undefined;
    });
    assert.equal(entry?.['route'], 'books');
    assert.equal(entry?.['status'], 200);
    assert.equal(entry?.['upstreamAddr'], gateway().backendUrl.replace('http://', ''));
    assert.equal(typeof entry?.['requestTime'], 'number');
    assert.match(String(entry?.['upstreamResponseTime']), /^\d+\.\d{3}$/);
  });
});
