/**
 * A real Prometheus (Debian's, on 127.0.0.1) scraping the gateway pod of a real rehearsal
 * (`npm run rehearse -- --stand-in-base-images`) by its address on the rehearsal's Docker network:
 * the status port is published nowhere, the host routes to the bridge as a cluster's Prometheus
 * reaches a pod.
 */
import { strict as assert } from 'node:assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { gatewayPorts, metricsLagSeconds, metricsPath, stubStatusPath } from '../../apps/gateway/src/index.js';
import { eventually } from '../../scripts/eventually.js';
import { containersNamed, dockerText, rehearsalContainers } from '../rehearse/support/docker.js';
import { startRehearsal, type RunningRehearsal } from '../rehearse/support/rehearsal-process.js';
import { dashboardQueries } from './support/dashboard.js';
import { usePrometheus } from './support/prometheus.js';

/**
 * One gateway pod, so one status port counts everything; a rate limit far above the test's
 * traffic, so no read is refused with 429. Writes without credentials are refused with 401.
 */
const stackConfig = ['gatewayReplicas=1', 'rateLimitPerSecond=1000', 'rateLimitBurst=1000'];

/** Known traffic: good reads, refused writes, and reads held up by a paused backend. */
const goodReads = 10;
const refusedWrites = 4;
const slowReads = 5;
/** Longer than a scrape interval, so Prometheus sees the slow reads in flight. */
const pauseMs = 1500;

describe('metrics: a real Prometheus scraping the gateway pod of a rehearsal', function () {
  this.timeout(60_000);
  let rehearsal: RunningRehearsal | undefined;
  let statusTarget = '';

  before(async function () {
    this.timeout(1_200_000);
    rehearsal = await startRehearsal(stackConfig);
    const gateway = rehearsal.listed().find((line) => line.container === 'gateway');
    if (!gateway) throw new Error(`the rehearsal listed no gateway pod:\n${rehearsal.output()}`);
    statusTarget = `${gateway.address}:${gatewayPorts.status}`;
    // nginx caches a name that did not resolve yet (`valid=10s`): wait for the page's route too.
    await eventually('the gateway serves the page', async () => (await fetch(`${rehearsal?.url}/`)).status === 200, 30_000);
  });
  after(async function () {
    this.timeout(60_000);
    if (rehearsal && (await rehearsalContainers(rehearsal.pid)).length) assert.equal(await rehearsal.stop(), 0, rehearsal.output());
  });
  // Declared after the rehearsal's hooks: mocha runs before hooks in order, after hooks too.
  const prometheus = usePrometheus(() => statusTarget);

  const running = (): RunningRehearsal => {
    if (!rehearsal) throw new Error('the rehearsal is not running (its before hook failed)');
    return rehearsal;
  };
  const booksContainers = async () => (await containersNamed(running().pid, 'books')).map((container) => container.Id);
  /**
   * Prometheus has scraped what the gateway counted of everything sent so far: the gateway counts
   * requests from its log within metricsLagSeconds, as the README says.
   */
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
    const read = async () => Object.fromEntries(await Promise.all(Object.entries(counters).map(async ([name, promql]) => [name, await value(promql)] as const)));
    await countedAndScraped();
    const before = await read();

    const { url } = running();
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
    await dockerText(['pause', ...books]);
    const started = Date.now();
    const slow = Array.from({ length: slowReads }, () => status(fetch(`${url}/books`)));
    try {
      await sleep(pauseMs);
    } finally {
      await dockerText(['unpause', ...books]);
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
    const quantile = (q: number) => value(`histogram_quantile(${q}, sum by (le) (increase(gateway_request_duration_seconds_bucket{route="books"}[5m])))`);
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
      assert.ok(samples.some(({ value }) => Number.isFinite(value)), `panel '${panel}': ${expr} returned no numbers (${JSON.stringify(samples)})`);
    }
  });

  it('serves no metrics on the public port', async () => {
    for (const path of [metricsPath, stubStatusPath]) {
      const reply = await fetch(`${running().url}${path}`);
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
    // Killed, the API's container is gone but its pod keeps its address (the pod's network lives in
    // its pause container): connections to it are refused, and the gateway still has it until its
    // resolver asks the rehearsal's DNS again (`valid=10s`), longer than the reads below take. The
    // rehearsal restarts the container (the kubelet's first restart waits for nothing); the reads
    // are sent before it listens again.
    //
    // The race is the gateway's: its resolver may ask again (or the pod may leave DNS) before the
    // reads, and then no try is refused. So: up to 5 rounds of a kill and two reads, 12 s apart
    // (the resolver's 10 s validity, and the restarted API back), until a round sees a refusal.
    let before = { failures: 0, retries: 0 };
    for (let round = 0; round < 5; round++) {
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, 12_000));
      await countedAndScraped();
      before = { failures: await value(failures), retries: await value(retries) };
      const [victim] = await booksContainers();
      assert.ok(victim);
      await dockerText(['kill', victim]);
      // Round robin sends one of two reads to the killed pod; refused, nginx tries the other and
      // leaves the refusing one out for the next 2 s (max_fails=1 fail_timeout=2s).
      for (let i = 0; i < 2; i++) assert.equal((await fetch(`${running().url}/books`)).status, 200);
      await countedAndScraped();
      if ((await value(failures)) !== before.failures) break;
    }
    assert.equal((await value(failures)) - before.failures, 1, 'one try never connected');
    assert.equal((await value(retries)) - before.retries, 1, 'and was tried again');
  });
});
