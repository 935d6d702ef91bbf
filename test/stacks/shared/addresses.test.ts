/** The pure helpers the targets share: registry addresses and a kubeconfig's current context. */
import assert from 'node:assert/strict';
import { dockerConfigJson } from '../../../components/pull-secret.js';
import { kubeconfigCurrentContext } from '../../../stacks/shared/kubeconfig-context.js';
import { parseImageRegistry } from '../../../stacks/shared/registry-address.js';
import { k3sKubeconfig } from '../../support/scenarios.js';

describe('image registry setting', () => {
  it('splits the registry host from the repository prefix', () => {
    assert.deepEqual(parseImageRegistry('r', 'ghcr.io/acme'), { host: 'ghcr.io', repositoryPrefix: 'ghcr.io/acme' });
    assert.deepEqual(parseImageRegistry('r', 'registry.local:5000/pi/'), {
      host: 'registry.local:5000',
      repositoryPrefix: 'registry.local:5000/pi',
    });
    assert.deepEqual(parseImageRegistry('r', 'localhost:5000'), { host: 'localhost:5000', repositoryPrefix: 'localhost:5000' });
  });

  it('reads a bare name as a Docker Hub namespace, as Docker does', () => {
    assert.deepEqual(parseImageRegistry('r', 'acme'), { host: 'docker.io', repositoryPrefix: 'acme' });
    const config = JSON.parse(dockerConfigJson('docker.io', 'acme', 'pw'));
    assert.deepEqual(Object.keys(config.auths), ['https://index.docker.io/v1/']);
  });

  it('refuses what is not a registry, naming the setting', () => {
    assert.throws(() => parseImageRegistry('imageRegistry', 'https://ghcr.io/acme'), /imageRegistry "https:\/\/ghcr.io\/acme".*scheme/);
    assert.throws(() => parseImageRegistry('imageRegistry', 'ghcr.io/ac me'), /"ac me" is not a repository path component/);
    assert.throws(() => parseImageRegistry('imageRegistry', '-bad-.io/acme'), /"-bad-.io" is not a host name/);
  });
});

describe("a kubeconfig's current context", () => {
  it('is found in YAML and JSON kubeconfigs, and is undefined when there is none', () => {
    assert.equal(kubeconfigCurrentContext(k3sKubeconfig), 'pi');
    assert.equal(kubeconfigCurrentContext(JSON.stringify({ contexts: [], 'current-context': 'kind-books' })), 'kind-books');
    assert.equal(kubeconfigCurrentContext(k3sKubeconfig.replace('current-context: pi\n', '')), undefined);
  });
});
