/**
 * `buildCache`: where a pushed image's build keeps its layer cache. A plain Docker Engine's
 * builder refuses a build that exports a cache, so the targets built from an operator's machine
 * (k3s, kubeconfig) export none unless asked; the clouds keep theirs beside the images.
 */
import assert from 'node:assert/strict';
import { runProgram, runProgramExpectingError } from '../../../scripts/capture/program-run.js';
import { imageNames, k3s } from '../../support/scenarios.js';
import { assertRegistryBuildCache } from './cloud-assertions.js';
import { eks, withConfig } from './cloud-scenarios.js';
import { pathFixture } from './commands-on-path.js';

const imageType = 'docker-build:index:Image';

describe('buildCache', () => {
  const path = pathFixture();
  before(() => path.use(['aws']));
  after(() => path.restore());

  it('k3s and kubeconfig: export no cache by default, and the registry cache when asked', async () => {
    const plain = await runProgram(k3s);
    const cached = await runProgram({ ...k3s, config: { ...k3s.config, buildCache: 'registry' } });
    for (const name of imageNames) {
      const { inputs } = plain.named(imageType, name);
      assert.deepEqual([inputs.cacheFrom, inputs.cacheTo], [undefined, undefined], name);
      assertRegistryBuildCache(cached.named(imageType, name).inputs, `ghcr.io/acme/${name}`);
    }
  });

  it('the clouds: keep the registry cache by default, and none when asked', async () => {
    const plain = await runProgram(withConfig(eks, { buildCache: 'none' }));
    for (const name of imageNames) {
      const { inputs } = plain.named(imageType, name);
      assert.deepEqual([inputs.cacheFrom, inputs.cacheTo], [undefined, undefined], name);
    }
  });

  it('refuses another value before any resource, naming the key and the values', async () => {
    const failure = await runProgramExpectingError({ ...k3s, config: { ...k3s.config, buildCache: 'local' } });
    assert.match(failure.error.message, /books-gateway:buildCache must be one of registry, none, got "local"/);
    assert.deepEqual(failure.resources, []);
  });
});
