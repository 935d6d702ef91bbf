/**
 * No module reaches itself through its imports, in the product or its tooling: a circle ties its
 * files into one unit that can be read, tested and moved only whole (components/images.ts and
 * components/target.ts once imported each other's types; the image names now belong to the
 * contract in target.ts).
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { importCycles, inScratchTree } from '../support/import-boundaries.js';

const repoRoot = path.resolve(__dirname, '../..');
const everyRoom = ['index.ts', 'components', 'stacks', 'apps', 'scripts', 'bench', 'test'];

describe('import circles', () => {
  it('no file of the program, the apps, the tooling, the bench or the tests imports itself through others', () => {
    const cycles = importCycles(repoRoot, everyRoom);
    assert.deepEqual(cycles, [], cycles.map((cycle) => cycle.join(' <-> ')).join('\n'));
  });

  it('finds a circle of type-only imports through a folder index, and leaves a chain alone', () => {
    const cycles = inScratchTree(
      {
        'src/contract.ts': "import type { Name } from './names/index.js';\nexport interface Contract { name: Name }\n",
        'src/names/index.ts': "import type { Contract } from '../contract.js';\nexport type Name = Contract['name'] | 'a';\n",
        'src/user.ts': "import type { Contract } from './contract.js';\nexport const user: Contract | undefined = undefined;\n",
      },
      (root) => importCycles(root, ['src']),
    );
    assert.deepEqual(cycles, [['src/contract.ts', 'src/names/index.ts']]);
  });
});
