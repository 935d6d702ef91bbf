import { strict as assert } from 'node:assert';
import { runInNewContext } from 'node:vm';
import { clusterPlatform, gatewayPorts, headlessServiceUpstream, renderGateway } from '../../apps/gateway/src/index.js';

/*
 * The metrics script as the gateway ships it (the rendered ConfigMap's file), run in node:vm with
 * its import of njs's `fs` and its module export left out: how the fold reads the log's lines
 * and what the page then says, and the latency buckets. The fold numbers a request's bucket
 * (bucketOf) and the page labels bucket i with `le` = bucketBounds[i]: if a bound's own duration
 * landed in the next bucket, every quantile would shift.
 */
const { files } = renderGateway({
  listenPort: gatewayPorts.public,
  books: headlessServiceUpstream('books', 'books-gateway', 5000),
  booksReact: headlessServiceUpstream('books-react', 'books-gateway', 3000),
  platform: clusterPlatform,
});

function moduleScope(file: string): Record<string, unknown> {
  const source = files[file];
  assert.ok(source, `the gateway ships ${file}`);
  const scope: Record<string, unknown> = {};
  runInNewContext(source.replace(/^import .*$/m, '').replace(/^export default .*$/m, ''), scope);
  return scope;
}

const metrics = moduleScope('gateway-metrics.js');
const bucketOf = metrics.bucketOf as (seconds: number) => string;
const countLog = metrics.countLog as (dict: Dictionary, text: string) => void;
const routeLines = metrics.routeLines as (dict: Dictionary) => string[];
const foldLines = metrics.foldLines as (dict: Dictionary) => string[];

/** The part of njs's shared dictionary (type=number) the script uses. */
interface Dictionary {
  incr(key: string, delta: number, init: number): number;
  get(key: string): number | undefined;
  items(max: number): Array<[string, number]>;
}

function dictionary(): Dictionary {
  const values = new Map<string, number>();
  return {
    incr: (key, delta, init) => values.set(key, (values.get(key) ?? init) + delta).get(key) ?? 0,
    get: (key) => values.get(key),
    items: (max) => [...values].slice(0, max),
  };
}
// A copy: an array of the script's own context fails deepEqual's prototype check.
const bucketBounds = [...(metrics.bucketBounds as number[])];

describe('the latency buckets of the metrics', () => {
  it('run from 5 ms to 10 s, as the README and the dashboard say', () => {
    assert.deepEqual(bucketBounds, [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
  });

  it("put a duration at each bound in that bound's bucket, and one millisecond more in the next", () => {
    assert.equal(bucketOf(0), '0');
    bucketBounds.forEach((bound, index) => {
      assert.equal(bucketOf(bound), String(index), `${bound} s is counted under le="${bound}"`);
      assert.equal(bucketOf(bound + 0.001), String(index + 1), `${bound + 0.001} s is counted above le="${bound}"`);
    });
    assert.equal(bucketOf(60), String(bucketBounds.length), 'a minute is counted only under le="+Inf"');
  });
});

describe('the metrics log, as the fold counts it and the page shows it', () => {
  // The renderer's format: route|status|request time|upstream times|statuses|connect times.
  const log = [
    'books|200|0.003|0.002|200|0.000',
    'books|200|0.003|0.002|200|0.000',
    'books|200|0.003|0.002|200|0.000',
    // Refused before reaching a backend: the gateway's own answers, whatever location gave them.
    'books|401|0.000|-|-|-',
    '-|400|0.000|-|-|-',
    // The first try refused (no connect time), the second answered.
    'books|200|0.006|0.001, 0.004|502, 200|-, 0.001',
    'books-react|304|0.001|0.001|304|0.000',
    // A write cut short.
    'books|200|0.0',
    '',
  ].join('\n');
  const dict = dictionary();
  countLog(dict, log);
  const page = [...routeLines(dict), ...foldLines(dict)];
  /** The page's value of each series of `expected`, to compare with it. */
  const values = (expected: Record<string, number>) =>
    Object.fromEntries(
      Object.keys(expected).map((series) => {
        const found = page.find((line) => line.startsWith(`${series} `));
        assert.ok(found, `${series} on the page:\n${page.join('\n')}`);
        return [series, Number(found.slice(series.length + 1))];
      }),
    );
  const expectOnPage = (expected: Record<string, number>) => assert.deepEqual(values(expected), expected);

  it('counts each request once under its route, and what the gateway answered itself under route gateway with its code', () => {
    expectOnPage({
      'gateway_requests_total{route="books"}': 4,
      'gateway_requests_total{route="books-react"}': 1,
      'gateway_requests_total{route="gateway"}': 2,
      'gateway_responses_total{route="gateway",status_class="4xx",code="401"}': 1,
      'gateway_responses_total{route="gateway",status_class="4xx",code="400"}': 1,
      'gateway_responses_total{route="books-react",status_class="3xx"}': 1,
    });
  });

  it('sums the upstream time over the tries, and counts the retry and the try that never connected', () => {
    expectOnPage({
      'gateway_upstream_duration_seconds_sum{route="books"}': 0.011,
      'gateway_upstream_duration_seconds_count{route="books"}': 4,
      'gateway_request_duration_seconds_sum{route="books"}': 0.015,
      'gateway_upstream_retries_total{route="books"}': 1,
      'gateway_upstream_connect_failures_total{route="books"}': 1,
    });
  });

  it('skips a line that is not the format, and says so', () => {
    expectOnPage({ gateway_metrics_skipped_lines_total: 1, gateway_metrics_fold_errors_total: 0 });
  });
});
