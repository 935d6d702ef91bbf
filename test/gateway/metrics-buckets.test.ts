import { strict as assert } from 'node:assert';
import { runInNewContext } from 'node:vm';
import { clusterPlatform, gatewayPorts, headlessServiceUpstream, renderGateway } from '../../apps/gateway/src/index.js';

/*
 * The fold (gateway-metrics.js) numbers a request's latency bucket (bucketOf), and the serving
 * half labels bucket i with `le` = bucketBounds[i]. If a bound's own duration landed in the next
 * bucket, every quantile would shift. The script runs here as the gateway ships it (the rendered
 * ConfigMap's file), its import of njs's `fs` and its module export left out.
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
// A copy: an array of the script's own context fails deepEqual's prototype check.
const bucketBounds = [...(metrics.bucketBounds as number[])];

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
