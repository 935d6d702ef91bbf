/**
 * A real Prometheus (Debian's, on 127.0.0.1) scraping the gateway pod of the real cluster at its
 * pod address, as a cluster's Prometheus reaches a pod: the status port is published nowhere.
 * Registered inside the suite that deployed the stack, which hands it the gateway's URL.
 */
import { strict as assert } from 'node:assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { gatewayPorts, metricsLagSeconds, metricsPath, stubStatusPath } from '../../../apps/gateway/src/index.js';
import { eventually } from '../../../scripts/toolkit/eventually.js';
import { dashboardQueries } from '../../metrics/support/dashboard.js';
import { usePrometheus } from '../../metrics/support/prometheus.js';
import { pods } from './assertions.js';
import { docker } from '../../../scripts/toolkit/docker.js';
import type { RunningCluster } from './cluster-process.js';

/** Known traffic: good reads, refused writes, and reads held up by a paused backend. */
const goodReads = 10;
const refusedWrites = 4;
const slowReads = 5;
/** Longer than a scrape interval, so Prometheus sees the slow reads in flight. */
const pauseMs = 1500;

export interface MetricsContext {
  cluster: RunningCluster;
  namespace: string;
  /** The gateway's public URL. */
  url: string;
}

export function describeMetrics(context: () => MetricsContext): void {
  describe('metrics: a real Prometheus scraping the gateway pod', function () {
    this.timeout(60_000);
    let statusTarget = '';

    before(async () => {
      const { cluster, namespace } = context();
      const gateways = (await pods(cluster, namespace)).filter((pod) => pod.app === 'gateway');
      assert.equal(gateways.length, 1, 'one gateway pod, whose status port counts everything');
      statusTarget = `${gateways[0].ip}:${gatewayPorts.status}`;
    });
    // Declared after the hook above: mocha runs before hooks in order.
    const prometheus = usePrometheus(() => statusTarget);

    /** The books containers, as Docker knows them. */
    const booksContainers = async () => {
      const { cluster, namespace } = context();
      return (await pods(cluster, namespace))
        .filter((pod) => pod.app === 'books')
        .flatMap((pod) => pod.containerIds.map((id) => id.slice('docker://'.length)));
    };
    /** Prometheus has scraped what the gateway counted of everything sent so far (within metricsLagSeconds). */
    const countedAndScraped = async () => {
      await sleep(metricsLagSeconds * 1000);
      await prometheus().scrapedSinceNow();
    };
    /** The value of a query that sums to one number (0 when no series matches yet). */
    const value = async (promql: string): Promise<number> => {
      const samples = await prometheus().query(`sum(${promql})`);
      return samples[0]?.value ?? 0;
    };

    it('counts N good reads, M refused writes and K slow reads exactly, and puts their latency in the right buckets', async () => {
      const counters = {
        booksOk: 'gateway_responses_total{route="books",status_class="2xx"}',
        refused: 'gateway_responses_total{route="gateway",status_class="4xx",code="401"}',
        requests: 'gateway_requests_total',
        booksUnder1s: 'gateway_request_duration_seconds_bucket{route="books",le="1"}',
        booksUnder2_5s: 'gateway_request_duration_seconds_bucket{route="books",le="2.5"}',
        booksCount: 'gateway_request_duration_seconds_count{route="books"}',
        upstreamUnder1s: 'gateway_upstream_duration_seconds_bucket{route="books",le="1"}',
        upstreamCount: 'gateway_upstream_duration_seconds_count{route="books"}',
      };
      const read = async () =>
        Object.fromEntries(await Promise.all(Object.entries(counters).map(async ([name, promql]) => [name, await value(promql)] as const)));
      await countedAndScraped();
      const before = await read();

      const { url } = context();
      const status = async (reply: Promise<Response>) => {
        const answer = await reply;
        await answer.arrayBuffer();
        return answer.status;
      };
      for (let i = 0; i < goodReads; i++) assert.equal(await status(fetch(`${url}/books`)), 200);
      for (let i = 0; i < refusedWrites; i++) {
        const reply = fetch(`${url}/books`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"title":"x"}' });
        assert.equal(await status(reply), 401);
      }
      // Every books pod stops answering for a moment, from outside: the API knows nothing of it.
      const books = await booksContainers();
      assert.equal(books.length, 2, 'the two books replicas');
      await docker(['pause', ...books]);
      const started = Date.now();
      const slow = Array.from({ length: slowReads }, () => status(fetch(`${url}/books`)));
      try {
        await sleep(pauseMs);
      } finally {
        await docker(['unpause', ...books]);
      }
      assert.deepEqual(await Promise.all(slow), Array(slowReads).fill(200));
      assert.ok(Date.now() - started >= pauseMs);

      await countedAndScraped();
      const after = await read();
      const delta = (name: keyof typeof counters) => (after[name] ?? 0) - (before[name] ?? 0);
      assert.equal(delta('booksOk'), goodReads + slowReads, 'reads answered 2xx on route books');
      assert.equal(delta('refused'), refusedWrites, "the gateway's own 401s");
      assert.equal(delta('requests'), goodReads + refusedWrites + slowReads, 'every request, once');
      assert.equal(delta('booksCount'), goodReads + slowReads);
      assert.equal(delta('booksUnder1s'), goodReads, 'the good reads took under a second, the slow ones more');
      assert.equal(delta('booksUnder2_5s'), goodReads + slowReads, 'the slow ones under 2.5 s');
      assert.equal(delta('upstreamCount'), goodReads + slowReads, 'refused writes never reached a backend');
      assert.equal(delta('upstreamUnder1s'), goodReads, 'the time was spent waiting on the backend');

      const inFlight = await value('max_over_time(gateway_requests_in_flight[30s])');
      assert.equal(inFlight, slowReads, 'Prometheus saw the slow reads in flight');
      const quantile = (q: number) =>
        value(`histogram_quantile(${q}, sum by (le) (increase(gateway_request_duration_seconds_bucket{route="books"}[5m])))`);
      const p50 = await quantile(0.5);
      const p99 = await quantile(0.99);
      assert.ok(p50 > 0 && p50 <= 0.25, `p50 ${p50} s lies in a fast bucket`);
      assert.ok(p99 > 1 && p99 <= 2.5, `p99 ${p99} s lies in the slow reads' bucket (1, 2.5]`);
    });

    it('runs every query of the Grafana dashboard, each returning data', async () => {
      const queries = dashboardQueries();
      assert.ok(queries.length >= 4, 'rate, errors, latency and more');
      for (const { panel, expr } of queries) {
        const samples = await prometheus().query(expr);
        // A route without requests in the window has no rate to divide by (NaN, a gap in Grafana);
        // the routes the traffic above used must have numbers.
        assert.ok(
          samples.some(({ value }) => Number.isFinite(value)),
          `panel '${panel}': ${expr} returned no numbers (${JSON.stringify(samples)})`,
        );
      }
    });

    it('serves no metrics on the public port', async () => {
      for (const path of [metricsPath, stubStatusPath]) {
        const reply = await fetch(`${context().url}${path}`);
        const body = await reply.text();
        // An ordinary path of the page, which answers any path with itself.
        assert.match(reply.headers.get('content-type') ?? '', /^text\/html/, path);
        assert.doesNotMatch(body, /gateway_|nginx_|Active connections/, path);
      }
      const status = await fetch(`http://${statusTarget}${metricsPath}`);
      assert.match(await status.text(), /^gateway_requests_total\{route="books"\} \d+$/m, 'while the status port does');
    });

    it('counts a refused connection to one books pod as a connect failure and a retry on the other', async function () {
      // Up to 5 rounds, 12 s apart, each waiting twice for the count (metricsLagSeconds) and a scrape.
      this.timeout(180_000);
      const failures = 'gateway_upstream_connect_failures_total{route="books"}';
      const retries = 'gateway_upstream_retries_total{route="books"}';
      // Killed, the API's container is gone but its pod keeps its address (the pod's network lives
      // in its pause container): connections to it are refused, and the gateway still has it until
      // its resolver asks cluster DNS again (`valid=10s`). The kubelet restarts the container.
      // The race is the gateway's: its resolver may ask again (or the pod may leave DNS, not ready)
      // before the reads, and then no try is refused. So: up to 5 rounds of a kill and two reads,
      // 12 s apart, until a round sees a refusal.
      let before = { failures: 0, retries: 0 };
      for (let round = 0; round < 5; round++) {
        if (round > 0) await sleep(12_000);
        await countedAndScraped();
        before = { failures: await value(failures), retries: await value(retries) };
        const [victim] = await booksContainers();
        assert.ok(victim);
        await docker(['kill', victim]);
        // Round robin sends one of two reads to the killed pod; refused, nginx tries the other.
        for (let i = 0; i < 2; i++) assert.equal((await fetch(`${context().url}/books`)).status, 200);
        await countedAndScraped();
        if ((await value(failures)) !== before.failures) break;
      }
      assert.equal((await value(failures)) - before.failures, 1, 'one try never connected');
      assert.equal((await value(retries)) - before.retries, 1, 'and was tried again');
      // The kubelet restarts what was killed: the next suites find two ready books pods.
      const { cluster, namespace } = context();
      await eventually(
        'both books pods are ready again',
        async () => (await pods(cluster, namespace)).filter((pod) => pod.app === 'books' && pod.ready).length === 2,
        60_000,
        1000,
      );
    });
  });
}
