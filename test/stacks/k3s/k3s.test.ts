import assert from 'node:assert/strict';
import { gatewayTestKeys } from '../../support/gateway-keys.js';
import { mockDigest, runProgram, secretValue, type ProgramRun } from '../../../scripts/capture/program-run.js';
import { imageNames, k3s, k3sKubeconfig, secretsBesidesDatabase } from '../../support/scenarios.js';
import { assertRegistryBuildCache } from '../shared/cloud-assertions.js';

const imageType = 'docker-build:index:Image';

describe('k3s target', () => {
  let run: ProgramRun;

  before(async () => {
    run = await runProgram(k3s);
  });

  it('connects with the kubeconfig from the stack, kept secret, identified by its context for good', () => {
    const provider = run.named('pulumi:providers:kubernetes', 'k3s');
    assert.equal(secretValue(provider.inputs.kubeconfig, "the provider's kubeconfig"), k3sKubeconfig.trim());
    assert.equal(provider.inputs.context, undefined);
    // The kubeconfig's current context when the stack is made, kept when the kubeconfig changes.
    assert.equal(provider.inputs.clusterIdentifier, 'k3s|pi');
    assert.deepEqual(provider.ignoreChanges, ['clusterIdentifier']);
    // An unreachable cluster fails up and destroy; the state keeps what it deployed.
    assert.equal(provider.inputs.deleteUnreachable, undefined);
  });

  it('builds the three images for linux/arm64 and pushes them to imageRegistry with its credentials', () => {
    assert.deepEqual(
      run
        .ofType(imageType)
        .map((image) => image.name)
        .sort(),
      [...imageNames].sort(),
    );
    for (const name of imageNames) {
      const { inputs } = run.named(imageType, name);
      assert.equal(inputs.push, true, name);
      assert.equal(inputs.load, false, name);
      assert.deepEqual(inputs.platforms, ['linux/arm64'], name);
      assert.match(inputs.tags[0], new RegExp(`^ghcr\\.io/acme/${name}:[0-9a-f]{16}$`));
      // Built on the operator's machine, often a plain Docker Engine that exports no cache.
      assert.deepEqual([inputs.cacheFrom, inputs.cacheTo], [undefined, undefined], name);
      assert.deepEqual(secretValue(inputs.registries, `${name}'s push credentials`), [
        { address: 'ghcr.io', username: 'acme-bot', password: 'ghp_registrytoken' },
      ]);
    }
  });

  it('builds for another imagePlatform, or for several as one multi-platform image that is pushed without the registry cache', async () => {
    const amd64 = await runProgram({ ...k3s, config: { ...k3s.config, imagePlatform: 'linux/amd64', buildCache: 'registry' } });
    const mixed = await runProgram({
      ...k3s,
      config: { ...k3s.config, imagePlatform: 'linux/arm64, linux/arm/v7,linux/arm64', buildCache: 'registry' },
    });
    for (const name of imageNames) {
      assert.deepEqual(amd64.named(imageType, name).inputs.platforms, ['linux/amd64'], name);
      const { inputs } = mixed.named(imageType, name);
      assert.deepEqual(inputs.platforms, ['linux/arm64', 'linux/arm/v7'], name);
      assert.deepEqual([inputs.push, inputs.load], [true, false], name);
      assert.equal(mixed.outputs.images[name], `${inputs.tags[0]}@${mockDigest}`, 'one image (an index) per name, by digest');
      // docker-build warns on every multi-platform build that caches: a shared cache is unreliable there.
      assert.deepEqual([inputs.cacheFrom, inputs.cacheTo], [undefined, undefined], name);
      assertRegistryBuildCache(amd64.named(imageType, name).inputs, `ghcr.io/acme/${name}`);
    }
  });

  it('deploys the pushed images by digest', () => {
    for (const name of imageNames) {
      const tag = run.named(imageType, name).inputs.tags[0];
      assert.equal(run.outputs.images[name], `${tag}@${mockDigest}`);
    }
  });

  it('gives the pods an image pull Secret for the private registry', () => {
    const [secret] = secretsBesidesDatabase(run);
    assert.equal(secretsBesidesDatabase(run).length, 1);
    assert.equal(secret.inputs.type, 'kubernetes.io/dockerconfigjson');
    const stringData = secretValue(secret.inputs.stringData, "the pull Secret's data") as Record<string, string>;
    const dockerConfig = JSON.parse(stringData['.dockerconfigjson']);
    assert.deepEqual(dockerConfig.auths['ghcr.io'], {
      username: 'acme-bot',
      password: 'ghp_registrytoken',
      auth: Buffer.from('acme-bot:ghp_registrytoken').toString('base64'),
    });
    for (const deployment of run.ofType('kubernetes:apps/v1:Deployment')) {
      assert.deepEqual(deployment.inputs.spec.template.spec.imagePullSecrets, [{ name: secret.inputs.metadata.name }]);
    }
  });

  it("publishes the gateway on 8080 by default, clear of Traefik's 80 on a stock K3s", () => {
    assert.equal(run.named('kubernetes:core/v1:Service', 'gateway').inputs.spec.ports[0].port, 8080);
    assert.equal(run.outputs.gatewayUrl, 'http://192.168.1.21:8080');
  });

  it("serves HTTPS on 8443 by default, clear of Traefik's 443, and on the ports the stack chooses", async () => {
    const keys = gatewayTestKeys();
    const tls = { tlsCertificate: keys.tlsCertificate, tlsKey: keys.tlsKey };
    const secretKeys = [...(k3s.secretKeys ?? []), 'tlsCertificate', 'tlsKey'];
    const https = await runProgram({ ...k3s, config: { ...k3s.config, ...tls }, secretKeys });
    assert.deepEqual(https.named('kubernetes:core/v1:Service', 'gateway').inputs.spec.ports[0].port, 8443);
    assert.equal(https.outputs.gatewayUrl, 'https://192.168.1.21:8443');
    // Traefik disabled (`--disable traefik`): the operator takes the usual ports back.
    const chosen = await runProgram({ ...k3s, config: { ...k3s.config, ...tls, gatewayTlsServicePort: '443' }, secretKeys });
    assert.equal(chosen.outputs.gatewayUrl, 'https://192.168.1.21');
    const plain = await runProgram({ ...k3s, config: { ...k3s.config, gatewayServicePort: '80' } });
    assert.equal(plain.outputs.gatewayUrl, 'http://192.168.1.21');
  });

  it('outputs the namespace, the image refs and the registry, and keeps the kubeconfig out of them', () => {
    assert.equal(run.outputs.target, 'k3s');
    assert.equal(run.outputs.namespace, 'books-gateway');
    assert.equal(run.outputs.imageRegistry, 'ghcr.io/acme');
    assert.doesNotMatch(JSON.stringify(run.outputs), /s3cr3t-token|ghp_registrytoken/);
  });

  it('pushes without credentials and creates no pull Secret for a registry the nodes can already read', async () => {
    const { registryUsername: _user, registryPassword: _password, ...config } = k3s.config;
    const open = await runProgram({ ...k3s, config: { ...config, imageRegistry: 'registry.local:5000/pi', kubeContext: 'pi' } });
    assert.deepEqual(secretsBesidesDatabase(open), []);
    for (const name of imageNames) {
      const { inputs } = open.named(imageType, name);
      assert.equal(inputs.registries, undefined);
      assert.match(inputs.tags[0], new RegExp(`^registry\\.local:5000/pi/${name}:`));
    }
    for (const deployment of open.ofType('kubernetes:apps/v1:Deployment')) {
      assert.equal(deployment.inputs.spec.template.spec.imagePullSecrets, undefined);
    }
    const provider = open.named('pulumi:providers:kubernetes', 'k3s').inputs;
    assert.equal(provider.context, 'pi');
    assert.equal(provider.clusterIdentifier, 'k3s|pi');
  });

  it('identifies the cluster by clusterName, which replaces every object when it changes, and nothing else does', async () => {
    const named = await runProgram({ ...k3s, config: { ...k3s.config, clusterName: 'rack-2' } });
    const provider = named.named('pulumi:providers:kubernetes', 'k3s');
    assert.equal(provider.inputs.clusterIdentifier, 'k3s|rack-2');
    assert.deepEqual(provider.ignoreChanges, []);
  });
});
