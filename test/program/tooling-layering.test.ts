/**
 * The tooling's wings, one way: the toolkit under everything, each command's wing on the toolkit
 * and on the wings it needs, nothing reaching into the local run but its command and the bench's
 * measure of it, and the product (the program, the component, the apps) importing no tooling at
 * all. A newcomer reads the layout in the README's folder table; this keeps it true.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describeImports, importsOutside, inScratchTree } from '../support/import-boundaries.js';

const repoRoot = path.resolve(__dirname, '../..');

/** Each folder and what it may import besides itself, with why. */
const layers: ReadonlyArray<{ dir: string; allowed: readonly string[]; why: string }> = [
  { dir: 'components', allowed: ['components', 'apps'], why: 'the product imports no tooling' },
  { dir: 'stacks', allowed: ['stacks', 'components', 'apps'], why: 'the product imports no tooling' },
  { dir: 'apps/gateway', allowed: ['apps/gateway'], why: 'the gateway knows neither Pulumi nor the tooling' },
  { dir: 'scripts/toolkit', allowed: ['scripts/toolkit', 'apps'], why: 'the toolkit is under every command, so it imports none' },
  { dir: 'scripts/capture', allowed: ['scripts/capture', 'scripts/toolkit', 'stacks', 'components'], why: 'capturing runs the program' },
  { dir: 'scripts/images', allowed: ['scripts/images', 'scripts/toolkit', 'components', 'apps'], why: 'the images build from the apps' },
  { dir: 'scripts/local', allowed: ['scripts/local', 'scripts/toolkit', 'apps'], why: 'the local run stands on the toolkit alone' },
  { dir: 'scripts/cluster', allowed: ['scripts/cluster', 'scripts/toolkit', 'scripts/images'], why: 'the cluster runs the images' },
  {
    dir: 'scripts/rehearse',
    allowed: ['scripts/rehearse', 'scripts/toolkit', 'scripts/capture', 'scripts/cluster', 'scripts/images', 'stacks'],
    why: "the rehearsal deploys a captured stack's images on the cluster",
  },
  {
    dir: 'bench',
    allowed: [
      'bench',
      'apps',
      'components',
      'scripts/toolkit',
      'scripts/images',
      'scripts/capture',
      // The local system itself is what the bench's API section measures; the rest of the local run is not its business.
      'scripts/local/local-system.js',
      // The program's cost is timed on the suites' own stacks of every target.
      'test/support/scenarios.js',
      'test/stacks/shared/cloud-scenarios.js',
    ],
    why: 'the bench measures through the toolkit, not through the commands',
  },
];

describe("the tooling's wings", () => {
  for (const { dir, allowed, why } of layers) {
    it(`${dir} imports only ${allowed.filter((folder) => folder !== dir).join(', ') || 'itself'}: ${why}`, () => {
      const outside = importsOutside(repoRoot, dir, allowed);
      assert.deepEqual(outside, [], describeImports(outside));
    });
  }

  it('reports a toolkit file that reaches into a command wing', () => {
    const outside = inScratchTree(
      {
        'scripts/toolkit/helper.ts': [
          "import { eventually } from './eventually.js';",
          "import { startLocalSystem } from '../local/local-system.js';",
        ].join('\n'),
      },
      (root) => importsOutside(root, 'scripts/toolkit', ['scripts/toolkit', 'apps']).map(({ resolved }) => resolved),
    );
    assert.deepEqual(outside, ['scripts/local/local-system.js']);
  });
});
