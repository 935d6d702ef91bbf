/**
 * program → targets → component: each target folder depends only on itself, the helpers the
 * targets share, the config readers and the component, so a new target is one new folder plus
 * its line in the target registry (stacks/targets.ts).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { targetNames } from '../../stacks/targets.js';
import { describeImports, importsOutside } from '../support/import-boundaries.js';

const repoRoot = path.resolve(__dirname, '../..');
const belowTargets = ['stacks/shared', 'stacks/config', 'components', 'apps'];

describe('stacks/ layering', () => {
  it('has one folder per registered target, and nothing else beside the program, registry, config and shared helpers', () => {
    const folders = fs
      .readdirSync(path.join(repoRoot, 'stacks'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    assert.deepEqual(folders, [...targetNames, 'config', 'shared'].sort());
  });

  for (const target of targetNames) {
    it(`${target} imports only its own folder, stacks/shared, stacks/config and components`, () => {
      const outside = importsOutside(repoRoot, `stacks/${target}`, [`stacks/${target}`, ...belowTargets]);
      assert.deepEqual(outside, [], describeImports(outside));
    });
  }

  it('the shared helpers and config readers import no target, registry or program', () => {
    const outside = ['stacks/shared', 'stacks/config'].flatMap((dir) => importsOutside(repoRoot, dir, belowTargets));
    assert.deepEqual(outside, [], describeImports(outside));
  });
});
