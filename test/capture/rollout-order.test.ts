import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { captureStack } from '../../scripts/capture/kubernetes-objects.js';
import { readStackConfig } from '../../scripts/capture/stack-config.js';

const root = path.resolve(__dirname, '..', '..');

describe('the captured rollout order (what npm run rehearse creates first)', function () {
  this.timeout(60_000);

  it('rolls out books and books-react first, and the gateway once both have rolled out, as pulumi up orders them', async () => {
    const { rolloutOrder } = await captureStack(readStackConfig(root, 'dev', []));
    assert.deepEqual(rolloutOrder, { books: [], 'books-react': [], gateway: ['books', 'books-react'] });
  });
});
