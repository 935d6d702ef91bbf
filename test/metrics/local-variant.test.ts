import { strict as assert } from 'node:assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { metricsPath, stubStatusPath } from '../../apps/gateway/src/index.js';
import { jsonLogRecords } from '../gateway/support/access-log.js';
import { request } from '../gateway/support/http.js';
import { pause, resume } from '../faults/support/hung-process.js';
import { useLocalSystem } from '../gateway/support/system.js';
import { eventually } from '../../scripts/toolkit/eventually.js';

/** What README.md (Metrics) says `npm run local` serves: nginx's counters, no per-route series. */
const connectionSet = [
  'nginx_up',
  'nginx_connections_active',
  'nginx_connections_reading',
  'nginx_connections_writing',
  'nginx_connections_waiting',
  'nginx_connections_accepted',
  'nginx_connections_handled',
  'nginx_http_requests_total',
  'gateway_requests_in_flight',
];

function series(text: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(\w+)(?:\{[^}]*\})? (\S+)$/.exec(line);
    if (match?.[1]) found.set(match[1], Number(match[2]));
  }
  return found;
}

describe("metrics: npm run local on the host's nginx (Debian 12, njs 0.7.9)", function () {
  this.timeout(30_000);
  const { system } = useLocalSystem();
  const scrape = async () => {
    const reply = await request(`http://127.0.0.1:${system().gateway.statusPort}${metricsPath}`);
    assert.equal(reply.status, 200);
    assert.match(reply.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return series(reply.body);
  };

  it('serves exactly the connection set on the status port, no per-route series', async () => {
    const metrics = await scrape();
    assert.deepEqual([...metrics.keys()].sort(), [...connectionSet].sort());
    assert.equal(metrics.get('nginx_up'), 1);
  });

  it("counts requests and the requests in flight with nginx's own counters", async () => {
    const before = (await scrape()).get('nginx_http_requests_total') ?? 0;
    for (let i = 0; i < 5; i++) assert.equal((await request(`${system().gateway.url}/books`)).status, 200);
    // The five reads and this scrape (nginx counts the page that reports the count).
    assert.equal((await scrape()).get('nginx_http_requests_total'), before + 6);

    // Both books processes stop answering (SIGSTOP): three reads wait on them.
    for (const books of system().books) pause(books);
    try {
      const held = Array.from({ length: 3 }, () => request(`${system().gateway.url}/books`));
      await sleep(300);
      assert.equal((await scrape()).get('gateway_requests_in_flight'), 3);
      for (const books of system().books) resume(books);
      for (const reply of await Promise.all(held)) assert.equal(reply.status, 200);
    } finally {
      for (const books of system().books) resume(books);
    }
    assert.equal((await scrape()).get('gateway_requests_in_flight'), 0);
  });

  it('serves none of it on the public port', async () => {
    for (const path of [metricsPath, stubStatusPath]) {
      const reply = await request(`${system().gateway.url}${path}`);
      // An ordinary path of the page, which answers any path with itself.
      assert.match(reply.headers.get('content-type') ?? '', /^text\/html/, path);
      assert.doesNotMatch(reply.body, /nginx_|gateway_|Active connections/, path);
    }
  });

  it('logs each request as JSON with its route, status, upstream and times, for per-route numbers from the log', async () => {
    const id = `metrics-${Date.now()}`;
    await request(`${system().gateway.url}/books/1788395549`, { headers: { 'X-Request-Id': id } });
    let entry: Record<string, unknown> | undefined;
    await eventually('the request is logged', async () => {
      entry = (await jsonLogRecords(system().gateway.accessLog)).find((record) => record['requestId'] === id);
      return entry !== undefined;
    });
    assert.equal(entry?.['route'], 'books');
    assert.equal(entry?.['status'], 200);
    assert.ok(system().books.some(({ port }) => entry?.['upstreamAddr'] === `127.0.0.1:${port}`));
    assert.equal(typeof entry?.['requestTime'], 'number');
    assert.match(String(entry?.['upstreamResponseTime']), /^\d+\.\d{3}$/);
  });
});
