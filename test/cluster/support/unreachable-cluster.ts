/**
 * What a stack keeps while its cluster cannot be reached, for every target the suites deploy:
 * registered inside the suite that deployed the stack, which hands it the stack and the cluster.
 */
import { strict as assert } from 'node:assert';
import type { RunningCluster } from './cluster-process.js';
import type { TestStack } from './test-stack.js';

export function itKeepsTheStateWhileUnreachable(context: () => { stack: TestStack; cluster: RunningCluster }): void {
  it('keeps every object in the state: destroy and up --refresh fail, saying so', async function () {
    this.timeout(300_000);
    const { stack, cluster } = context();
    const { urns } = await stack.expect('export');
    await cluster.signal('SIGUSR1', /the API server is stopped/);
    try {
      for (const op of ['destroy', 'refresh'] as const) {
        const run = await stack.run(op);
        assert.notEqual(run.code, 0, `${op} of an unreachable cluster fails`);
        assert.match(run.log, /unreachable|connection refused/i, op);
      }
    } finally {
      await cluster.signal('SIGUSR2', /the API server is ready again/);
    }
    assert.deepEqual((await stack.expect('export')).urns, urns, 'the state holds every object it held');
  });
}
