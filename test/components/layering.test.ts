/**
 * The component is the bottom layer: it owns the contract the targets fulfil (components/target.ts)
 * and imports nothing from the program or the targets, so GatewayStack can be reused, and read,
 * without knowing which clouds exist.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describeImports, importsOutside, inScratchTree } from '../support/import-boundaries.js';

const repoRoot = path.resolve(__dirname, '../..');
const componentLayer = ['components', 'apps'];

describe('components/ layering', () => {
  it('imports nothing outside components/ and apps/, statically or dynamically', () => {
    const outside = importsOutside(repoRoot, 'components', componentLayer);
    assert.deepEqual(outside, [], `components/ must not depend on the program or the targets:\n${describeImports(outside)}`);
  });

  it('reports an import that climbs out of components/, static or dynamic', () => {
    const outside = inScratchTree(
      {
        'components/parts/stack.ts': [
          "import type { Target } from '../target.js';",
          "import { render } from '../../apps/gateway/src/index.js';",
          "import { readConfig } from '../../stacks/config/stack-config.js';",
          "export async function load() { return import('../../stacks/k3s/index.js'); }",
        ].join('\n'),
      },
      (root) => importsOutside(root, 'components', componentLayer).map(({ resolved }) => resolved),
    );
    assert.deepEqual(outside, ['stacks/config/stack-config.js', 'stacks/k3s/index.js']);
  });
});
