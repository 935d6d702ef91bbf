/** Checks every cloud target must pass, on a run of the program under mocks. */
import assert from 'node:assert/strict';
import type { ImageName } from '../../../components/target.js';
import {
  runProgramExpectingError,
  secretValue,
  type ProgramRun,
  type RegisteredResource,
  type RunOptions,
} from '../../../scripts/capture/program-run.js';
import { imageNames, secretsBesidesDatabase } from '../../support/scenarios.js';

export interface ClusterProviderExpectation {
  /** The new cluster's kubeconfig, exactly. */
  kubeconfig: string;
  clusterIdentifier: string;
  /** Logical names of resources the provider must wait for (the nodes, the pull permission). */
  readyWhen: string[];
}

/**
 * One Kubernetes provider, built from the new cluster's kubeconfig, keyed by the cluster's id,
 * waiting for its nodes; every Kubernetes object goes through it; GatewayStack's three
 * Deployments are among them (the one smoke check of GatewayStack per cloud).
 */
export function assertDeploysThroughClusterProvider(run: ProgramRun, expected: ClusterProviderExpectation): void {
  const providers = run.ofType('pulumi:providers:kubernetes');
  assert.deepEqual(
    providers.map((p) => p.name),
    ['books-gateway'],
  );
  const [provider] = providers;
  assert.equal(secretValue(provider.inputs.kubeconfig, "the provider's kubeconfig"), expected.kubeconfig);
  assert.equal(provider.inputs.clusterIdentifier, expected.clusterIdentifier);
  assertWaitsFor(provider, expected.readyWhen);

  const objects = run.kubernetesObjects();
  const elsewhere = objects.filter((o) => !o.provider?.startsWith(`${provider.urn}::`));
  assert.deepEqual(
    elsewhere.map((o) => `${o.type} ${o.name} via ${o.provider}`),
    [],
  );
  const deployments = run
    .ofType('kubernetes:apps/v1:Deployment')
    .map((d) => d.name)
    .sort();
  assert.deepEqual(deployments, ['books', 'books-react', 'gateway']);
}

/** The resource was registered depending on each of `names` (logical names). */
export function assertWaitsFor(resource: RegisteredResource, names: string[]): void {
  const dependencies = resource.dependencies.map((urn) => urn.slice(urn.lastIndexOf('::') + 2));
  const missing = names.filter((n) => !dependencies.includes(n));
  assert.deepEqual(missing, [], `${resource.name} does not wait for ${missing.join(', ')} (it waits for ${dependencies.join(', ')})`);
}

/**
 * The gateway's LoadBalancer Service keeps the client's address (which its per-client limits and
 * logs need): `Local` traffic policy, and exactly the annotations the cloud needs for a load
 * balancer that passes the address through; undefined: none, the cloud's default does.
 */
export function assertGatewayServiceKeepsClientAddress(run: ProgramRun, annotations: Record<string, string> | undefined): void {
  const { metadata, spec } = run.named('kubernetes:core/v1:Service', 'gateway').inputs;
  assert.equal(spec.type, 'LoadBalancer');
  assert.equal(spec.externalTrafficPolicy, 'Local');
  assert.deepEqual(metadata.annotations, annotations);
}

export interface PushExpectation {
  repository: (image: ImageName) => string;
  credentials: { address: string; username: string; password: string };
}

/** The three images built for linux/amd64, pushed to the cloud's registry, pulled without a Secret. */
export function assertImagesPushedTo(run: ProgramRun, expected: PushExpectation): void {
  const builds = run.ofType('docker-build:index:Image');
  assert.deepEqual(builds.map((b) => b.name).sort(), [...imageNames].sort());
  for (const image of imageNames) {
    const { inputs } = run.named('docker-build:index:Image', image);
    const repository = expected.repository(image);
    assert.equal(inputs.push, true, `${image} is not pushed`);
    assert.deepEqual(inputs.platforms, ['linux/amd64']);
    assert.ok(inputs.tags[0].startsWith(`${repository}:`), `${image} is tagged ${inputs.tags[0]}, not in ${repository}`);
    // A secret as a whole, because the password inside it is one.
    assert.deepEqual(secretValue(inputs.registries, `${image}'s push credentials`), [expected.credentials]);
    assert.ok(run.outputs.images[image].startsWith(`${repository}:`), `${image} is deployed as ${run.outputs.images[image]}`);
    assertRegistryBuildCache(inputs, repository);
  }
  // The nodes pull by their cloud identity: no image pull Secret with the push credentials.
  assert.deepEqual(secretsBesidesDatabase(run), []);
}

/**
 * A pushed image builds on up only (not on preview), and keeps every stage's layer cache in its
 * own repository under the `buildcache` tag, as an OCI image manifest (which ECR requires).
 */
export function assertRegistryBuildCache(inputs: Record<string, unknown>, repository: string): void {
  const ref = `${repository}:buildcache`;
  assert.equal(inputs.buildOnPreview, false);
  assert.deepEqual(inputs.cacheFrom, [{ registry: { ref } }]);
  assert.deepEqual(inputs.cacheTo, [{ registry: { ref, mode: 'max', imageManifest: true, ociMediaTypes: true } }]);
}

/**
 * With `gatewayReplicas` 2, a node upgrade (GKE auto-upgrade, an AKS node image, an EKS node
 * group roll) is no outage: the two gateway pods prefer different nodes, and a drain may evict
 * only one of them at a time. With the default one, there is no budget, which would block drains.
 */
export function assertTwoGatewaysSurviveANodeUpgrade(single: ProgramRun, two: ProgramRun): void {
  assert.deepEqual(
    single.ofType('kubernetes:policy/v1:PodDisruptionBudget').filter((b) => b.name === 'gateway'),
    [],
  );
  const deployment = two.named('kubernetes:apps/v1:Deployment', 'gateway').inputs;
  assert.equal(deployment.spec.replicas, 2);
  const podLabels = deployment.spec.template.metadata.labels;
  const matches = (selector: { matchLabels: Record<string, string> }) =>
    Object.entries(selector.matchLabels).every(([key, value]) => podLabels[key] === value);
  const budget = two.named('kubernetes:policy/v1:PodDisruptionBudget', 'gateway').inputs.spec;
  assert.equal(budget.maxUnavailable, 1);
  assert.ok(matches(budget.selector), 'the budget covers the gateway pods');
  const [spread] = deployment.spec.template.spec.topologySpreadConstraints;
  assert.deepEqual([spread.topologyKey, spread.maxSkew], ['kubernetes.io/hostname', 1]);
  assert.ok(matches(spread.labelSelector), 'the spread counts the gateway pods');
}

/** The program fails with a message matching `pattern`, having registered nothing. */
export async function assertFailsBeforeAnyResource(options: RunOptions, pattern: RegExp): Promise<void> {
  const failure = await runProgramExpectingError(options);
  assert.match(failure.error.message, pattern);
  assert.deepEqual(
    failure.resources.map((r) => `${r.type} ${r.name}`),
    [],
  );
}
