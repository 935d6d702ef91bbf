import assert from 'node:assert/strict';
import {
  mockDigest,
  runProgram,
  runProgramExpectingError,
  secretValue,
  type ProgramRun,
  type RunOptions,
} from '../../../scripts/capture/program-run.js';
import { imageNames, kindKubeconfig, secretsBesidesDatabase } from '../../support/scenarios.js';

const imageType = 'docker-build:index:Image';
const providerType = 'pulumi:providers:kubernetes';

const withKubeconfig: RunOptions = {
  config: { target: 'kubeconfig', kubeconfig: kindKubeconfig, imageRegistry: 'registry.example.com/books' },
  secretKeys: ['kubeconfig'],
  loadBalancerIngress: { ip: '172.18.255.200' },
};

describe('kubeconfig target', () => {
  describe("with the stack's kubeconfig", () => {
    let run: ProgramRun;
    before(async () => {
      run = await runProgram(withKubeconfig);
    });

    it('connects with the kubeconfig, kept secret, identified by its context for good, never emptying the state of an unreachable cluster', () => {
      const provider = run.named(providerType, 'kubeconfig');
      assert.equal(secretValue(provider.inputs.kubeconfig, "the provider's kubeconfig"), kindKubeconfig.trim());
      assert.equal(provider.inputs.context, undefined);
      assert.equal(provider.inputs.clusterIdentifier, 'kubeconfig|pi');
      assert.deepEqual(provider.ignoreChanges, ['clusterIdentifier']);
      assert.equal(provider.inputs.deleteUnreachable, undefined);
    });

    it('builds the three images for linux/amd64, pushes them to imageRegistry and deploys them by digest', () => {
      assert.deepEqual(
        run
          .ofType(imageType)
          .map((image) => image.name)
          .sort(),
        [...imageNames].sort(),
      );
      for (const name of imageNames) {
        const { inputs } = run.named(imageType, name);
        assert.deepEqual([inputs.push, inputs.platforms, inputs.registries], [true, ['linux/amd64'], undefined], name);
        assert.match(inputs.tags[0], new RegExp(`^registry\\.example\\.com/books/${name}:[0-9a-f]{16}$`));
        assert.equal(run.outputs.images[name], `${inputs.tags[0]}@${mockDigest}`);
      }
    });

    it('creates nothing but the system: every resource is GatewayStack, its images, objects and database password, or the provider', () => {
      const ofTheSystem = [imageType, providerType, 'books-gateway:index:GatewayStack', 'random:index/randomPassword:RandomPassword'];
      const outside = run.resources.filter((r) => !r.type.startsWith('kubernetes:') && !ofTheSystem.includes(r.type));
      assert.deepEqual(
        outside.map((r) => `${r.type} ${r.name}`),
        [],
      );
      assert.deepEqual(secretsBesidesDatabase(run), [], 'no pull Secret for a registry without credentials');
    });

    it("publishes the gateway on port 80, through the cluster's own load balancer", () => {
      assert.equal(run.named('kubernetes:core/v1:Service', 'gateway').inputs.spec.ports[0].port, 80);
      assert.equal(run.outputs.gatewayUrl, 'http://172.18.255.200');
      assert.equal(run.outputs.target, 'kubeconfig');
      assert.equal(run.outputs.imageRegistry, 'registry.example.com/books');
      assert.doesNotMatch(JSON.stringify(run.outputs), /s3cr3t-token/);
    });
  });

  it('does not wait for a load-balancer address, and says where to find it and how to reach the gateway without one', async () => {
    const unassigned = await runProgram({ ...withKubeconfig, loadBalancerIngress: null });
    assert.equal(unassigned.named('kubernetes:core/v1:Service', 'gateway').inputs.metadata.annotations['pulumi.com/skipAwait'], 'true');
    const access = String(unassigned.outputs.gatewayUrl);
    assert.match(access, /no load-balancer address yet: `kubectl -n books-gateway get service gateway`/);
    assert.match(
      access,
      /`kubectl -n books-gateway port-forward service\/gateway 8080:80` serves the gateway at http:\/\/127\.0\.0\.1:8080$/,
    );
  });

  it("uses a context of the machine's own kubeconfig when the stack has none", async () => {
    const run = await runProgram({ config: { target: 'kubeconfig', kubeContext: 'kind-books', imageRegistry: 'localhost:5001' } });
    const provider = run.named(providerType, 'kubeconfig').inputs;
    assert.deepEqual(
      [provider.kubeconfig, provider.context, provider.clusterIdentifier],
      [undefined, 'kind-books', 'kubeconfig|kind-books'],
    );
    assert.equal(run.outputs.kubeContext, 'kind-books');
  });

  it("selects the context inside the stack's kubeconfig when both are set", async () => {
    const run = await runProgram({ ...withKubeconfig, config: { ...withKubeconfig.config, kubeContext: 'pi' } });
    const provider = run.named(providerType, 'kubeconfig').inputs;
    assert.equal(secretValue(provider.kubeconfig, "the provider's kubeconfig"), kindKubeconfig.trim());
    assert.deepEqual([provider.context, provider.clusterIdentifier], ['pi', 'kubeconfig|pi']);
  });

  it('pushes with the registry credentials, and gives the pods a pull Secret made from them', async () => {
    const run = await runProgram({
      ...withKubeconfig,
      config: { ...withKubeconfig.config, registryUsername: 'books-bot', registryPassword: 'registry-token' },
      secretKeys: ['kubeconfig', 'registryPassword'],
    });
    for (const name of imageNames) {
      assert.deepEqual(secretValue(run.named(imageType, name).inputs.registries, `${name}'s push credentials`), [
        { address: 'registry.example.com', username: 'books-bot', password: 'registry-token' },
      ]);
    }
    const [secret] = secretsBesidesDatabase(run);
    assert.equal(secret.inputs.type, 'kubernetes.io/dockerconfigjson');
    for (const deployment of run.ofType('kubernetes:apps/v1:Deployment')) {
      assert.deepEqual(deployment.inputs.spec.template.spec.imagePullSecrets, [{ name: secret.inputs.metadata.name }]);
    }
  });

  it('builds one multi-platform image for an imagePlatform list', async () => {
    const run = await runProgram({ ...withKubeconfig, config: { ...withKubeconfig.config, imagePlatform: 'linux/amd64,linux/arm64' } });
    for (const name of imageNames) assert.deepEqual(run.named(imageType, name).inputs.platforms, ['linux/amd64', 'linux/arm64']);
  });

  describe('config errors, before any resource', () => {
    const cases: Array<{ what: string; config: Record<string, string>; message: RegExp[] }> = [
      {
        what: 'neither kubeconfig nor kubeContext',
        config: { target: 'kubeconfig', imageRegistry: 'ghcr.io/acme' },
        message: [
          /Missing config books-gateway:kubeconfig or books-gateway:kubeContext/,
          /pulumi config set --secret kubeconfig/,
          /pulumi config set kubeContext kind-books/,
        ],
      },
      {
        what: 'no imageRegistry',
        config: { target: 'kubeconfig', kubeContext: 'kind-books' },
        message: [/Missing config books-gateway:imageRegistry/, /pulumi config set imageRegistry ghcr\.io\/acme/],
      },
      {
        what: 'an unknown imagePlatform',
        config: { target: 'kubeconfig', kubeContext: 'kind-books', imageRegistry: 'ghcr.io/acme', imagePlatform: 'linux/386' },
        message: [/books-gateway:imagePlatform has unknown platform "linux\/386"/, /linux\/arm64, linux\/amd64, linux\/arm\/v7/],
      },
      {
        what: 'a registry password without a user',
        config: { target: 'kubeconfig', kubeContext: 'kind-books', imageRegistry: 'ghcr.io/acme', registryPassword: 'token' },
        message: [/Missing config books-gateway:registryUsername/],
      },
    ];
    for (const { what, config, message } of cases) {
      it(`${what}: names the key and how to set it`, async () => {
        const failure = await runProgramExpectingError({ config });
        for (const pattern of message) assert.match(failure.error.message, pattern);
        assert.deepEqual(
          failure.resources.map((r) => `${r.type} ${r.name}`),
          [],
        );
      });
    }
  });
});
