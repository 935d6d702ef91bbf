import { strict as assert } from 'node:assert';
import { runInNewContext } from 'node:vm';
import { clusterPlatform, gatewayPorts, headlessServiceUpstream, renderGateway } from '../../apps/gateway/src/index.js';

/*
 * The two halves of the metrics keep the latency buckets apart: `record` (gateway-request.js)
 * numbers a request's bucket with comparisons, the cheapest form for njs, and the serving half
 * (gateway-metrics.js) labels bucket i with `le` = bucketBounds[i]. If they disagreed, a request
 * would be counted under the wrong `le` and every quantile would shift. Both run here as the
 * gateway ships them (the rendered ConfigMap's files), their module export left out.
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
  runInNewContext(source.replace(/^export default .*$/m, ''), scope);
  return scope;
}

const bucketOf = moduleScope('gateway-request.js').bucketOf as (seconds: number) => string;
// A copy: an array of the script's own context fails deepEqual's prototype check.
const bucketBounds = [...(moduleScope('gateway-metrics.js').bucketBounds as number[])];

describe('the latency buckets of the metrics', () => {
  it('run from 5 ms to 10 s, as the README and the dashboard say', () => {
    assert.deepEqual(bucketBounds, [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
  });

  it('put a duration at each bound in that bound\'s bucket, and one millisecond more in the next', () => {
    assert.equal(bucketOf(0), '0');
    bucketBounds.forEach((bound, index) => {
      assert.equal(bucketOf(bound), String(index), `${bound} s is counted under le="${bound}"`);
      assert.equal(bucketOf(bound + 0.001), String(index + 1), `${bound + 0.001} s is counted above le="${bound}"`);
    });
    assert.equal(bucketOf(60), String(bucketBounds.length), 'a minute is counted only under le="+Inf"');
  });
});
