import assert from 'node:assert/strict';
import * as path from 'node:path';
import { runProgram, type ProgramRun } from '../../../scripts/capture/program-run.js';
import { dockerDesktop, imageNames, namespaced, secretsBesidesDatabase } from '../../support/scenarios.js';

const imageType = 'docker-build:index:Image';

describe('docker-desktop target', () => {
  let run: ProgramRun;

  before(async () => {
    run = await runProgram(dockerDesktop);
  });

  it("connects through Docker Desktop's own kubeconfig context", () => {
    const provider = run.named('pulumi:providers:kubernetes', 'docker-desktop').inputs;
    assert.equal(provider.context, 'docker-desktop');
    assert.equal(provider.kubeconfig, undefined);
    assert.equal(provider.clusterIdentifier, 'docker-desktop/docker-desktop');
  });

  it('never drops objects from the state because the cluster is unreachable (Kubernetes turned off)', () => {
    const provider = run.named('pulumi:providers:kubernetes', 'docker-desktop').inputs;
    assert.equal(provider.deleteUnreachable, undefined);
  });

  it("does not wait for the gateway's load balancer, which Docker Desktop publishes on localhost, and says so in gatewayUrl", () => {
    assert.equal(run.named('kubernetes:core/v1:Service', 'gateway').inputs.metadata.annotations['pulumi.com/skipAwait'], 'true');
    assert.equal(run.outputs.gatewayUrl, 'http://localhost');
  });

  it('builds the three images from this repository for the local platform and loads them, never pushing', () => {
    assert.deepEqual(
      run
        .ofType(imageType)
        .map((image) => image.name)
        .sort(),
      [...imageNames].sort(),
    );
    for (const name of imageNames) {
      const { inputs } = run.named(imageType, name);
      assert.equal(inputs.push, false, name);
      assert.equal(inputs.load, true, name);
      assert.equal(inputs.platforms, undefined, `${name} is built for this machine`);
      assert.equal(inputs.registries, undefined, name);
      // Relative to the project folder: another checkout of the same commit builds nothing anew.
      assert.equal(inputs.context.location, '.');
      assert.equal(inputs.dockerfile.location, path.join('apps', name, 'Dockerfile'));
      assert.match(inputs.tags[0], new RegExp(`^books-gateway/${name}:[0-9a-f]{16}$`));
    }
  });

  it('builds on up only, never on preview, exporting no cache a classic Docker image store would refuse', () => {
    // The local engine keeps its own layer cache for loaded images; a cache export needs the
    // containerd image store or a docker-container builder, which upgraded Docker Desktops lack.
    for (const name of imageNames) {
      const { inputs } = run.named(imageType, name);
      assert.equal(inputs.buildOnPreview, false, name);
      assert.equal(inputs.cacheTo, undefined, name);
      assert.equal(inputs.cacheFrom, undefined, name);
    }
  });

  it('deploys the loaded images by their content tag, which has no digest for the kubelet to pull', () => {
    for (const name of imageNames) {
      const tag = run.named(imageType, name).inputs.tags[0];
      assert.equal(run.outputs.images[name], tag);
      assert.doesNotMatch(run.outputs.images[name], /@sha256:/);
    }
    const tags = new Set(imageNames.map((name) => run.outputs.images[name].split(':')[1]));
    assert.equal(tags.size, 3, 'each image has its own build context digest');
  });

  it('outputs the gateway URL on localhost, the namespace, the image refs and the context', () => {
    assert.equal(run.outputs.gatewayUrl, 'http://localhost');
    assert.equal(run.outputs.namespace, 'books-gateway');
    assert.equal(run.outputs.target, 'docker-desktop');
    assert.equal(run.outputs.kubeContext, 'docker-desktop');
    assert.deepEqual(Object.keys(run.outputs.images).sort(), [...imageNames].sort());
    assert.deepEqual(run.secretOutputs, []);
  });

  it('creates no image pull Secret: the kubelet finds the images in the local Docker', () => {
    assert.deepEqual(secretsBesidesDatabase(run), []);
    for (const deployment of run.ofType('kubernetes:apps/v1:Deployment')) {
      assert.equal(deployment.inputs.spec.template.spec.imagePullSecrets, undefined);
    }
  });

  it('uses another context, replica counts, namespace and Service port when the stack sets them', async () => {
    const custom = await runProgram({
      ...dockerDesktop,
      config: {
        target: 'docker-desktop',
        kubeContext: 'desktop-linux',
        namespace: 'shelf',
        booksReplicas: '3',
        booksReactReplicas: '1',
        gatewayReplicas: '2',
        gatewayServicePort: '8088',
      },
    });
    assert.equal(custom.named('pulumi:providers:kubernetes', 'docker-desktop').inputs.context, 'desktop-linux');
    const replicas = (name: string) => custom.named('kubernetes:apps/v1:Deployment', name).inputs.spec.replicas;
    assert.deepEqual([replicas('books'), replicas('books-react'), replicas('gateway')], [3, 1, 2]);
    // Budgets follow the replica counts: none for a single replica.
    assert.deepEqual(
      custom
        .ofType('kubernetes:policy/v1:PodDisruptionBudget')
        .map((b) => b.name)
        .sort(),
      ['books', 'gateway'],
    );
    assert.equal(custom.named('kubernetes:core/v1:Namespace', 'shelf').inputs.metadata.name, 'shelf');
    for (const object of namespaced(custom)) assert.equal(object.inputs.metadata.namespace, 'shelf');
    // The database's StorageClass belongs to the whole cluster: named after the namespace, so two stacks on one cluster differ.
    assert.equal(custom.named('kubernetes:storage.k8s.io/v1:StorageClass', 'database').inputs.metadata.name, 'shelf-database');
    const nginxConf: string = custom.ofType('kubernetes:core/v1:ConfigMap')[0].inputs.data['nginx.conf'];
    assert.match(nginxConf, /server books\.shelf\.svc\.cluster\.local:5000 resolve/);
    assert.equal(custom.named('kubernetes:core/v1:Service', 'gateway').inputs.spec.ports[0].port, 8088);
    assert.equal(custom.outputs.gatewayUrl, 'http://localhost:8088');
    assert.equal(custom.outputs.namespace, 'shelf');
  });
});
