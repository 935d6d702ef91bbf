/**
 * A stack made by an earlier version of this program (its state recorded in baselines/, see
 * stack-state.ts) keeps what it has on its first `pulumi up` after upgrading, with its config
 * unchanged: nothing is deleted, nothing is created but what this version adds to every stack
 * (the books API's database, issue 23), and every input that changes is one its provider updates
 * in place, each listed here with why.
 */
import assert from 'node:assert/strict';
import { runProgram } from '../../../scripts/capture/program-run.js';
import { planUpgrade, readBaseline, type UpgradePlan } from './stack-state.js';
import { upgradeScenarios, withScenarioEnvironment, type UpgradeScenario } from './upgrade-scenarios.js';
import { k3sKubeconfig } from '../../support/scenarios.js';
import type { AzureStandIn } from '../shared/azure-stand-in.js';

/**
 * The first `up` of this program on the scenario's recorded stack, its config unchanged or as
 * `config` changes it, Azure as `azure` sets it up.
 */
async function upgradePlan(
  scenario: UpgradeScenario,
  config: Record<string, string> = {},
  azure: (standIn: AzureStandIn) => void = () => undefined,
): Promise<UpgradePlan> {
  const options = upgradeScenarios[scenario];
  const state = readBaseline(scenario);
  const run = await withScenarioEnvironment((standIn) => {
    azure(standIn);
    return runProgram({ ...options, config: { ...options.config, ...config }, previousState: state.resources });
  });
  return planUpgrade(state, run);
}

/** The Kubernetes provider's inputs whose change the plan holds, by the provider's logical name. */
function providerChanges(plan: UpgradePlan, provider: string): string[] {
  return plan.changed[`urn:pulumi:test::books-gateway::pulumi:providers:kubernetes::${provider}`] ?? [];
}

const nothing: UpgradePlan = { deleted: [], created: [], changed: {} };

const stackUrn = 'urn:pulumi:test::books-gateway::books-gateway:index:GatewayStack';
/**
 * The books API's database, which every stack gets on its first `up` of this version (issue
 * 23): PostgreSQL's objects and password, the books pods' Secret and egress policy, and the
 * StorageClass of its volume where the target knows its cluster's provisioner (not kubeconfig).
 */
const database = (storageClass: boolean): string[] => [
  `${stackUrn}$kubernetes:apps/v1:StatefulSet::postgres`,
  `${stackUrn}$kubernetes:core/v1:PersistentVolumeClaim::postgres-data`,
  `${stackUrn}$kubernetes:core/v1:Secret::books-database`,
  `${stackUrn}$kubernetes:core/v1:Secret::postgres-credentials`,
  `${stackUrn}$kubernetes:core/v1:Service::postgres`,
  `${stackUrn}$kubernetes:networking.k8s.io/v1:NetworkPolicy::books-egress`,
  `${stackUrn}$kubernetes:networking.k8s.io/v1:NetworkPolicy::postgres-from-books`,
  ...(storageClass ? [`${stackUrn}$kubernetes:storage.k8s.io/v1:StorageClass::database`] : []),
  `${stackUrn}$random:index/randomPassword:RandomPassword::postgres-password`,
];
const eksUrn = 'urn:pulumi:test::books-gateway::books-gateway:cloud:EksCluster';
/** EKS's volume driver (the EBS CSI add-on, with its Pod Identity agent and role): EKS has none of its own. */
const eksVolumeDriver = [
  `${eksUrn}$aws:eks/addon:Addon::books-gateway-aws-ebs-csi-driver`,
  `${eksUrn}$aws:eks/addon:Addon::books-gateway-eks-pod-identity-agent`,
  `${eksUrn}$aws:iam/role:Role::books-gateway-ebs-csi-role`,
  `${eksUrn}$aws:iam/rolePolicyAttachment:RolePolicyAttachment::books-gateway-ebs-csi-role-AmazonEBSCSIDriverPolicy`,
];

/** The first `up` after upgrading, per scenario, and why each change is an update in place. */
/**
 * An existing cluster's provider loses deleteUnreachable, an update of the provider alone: an
 * unreachable cluster no longer empties the state (issue 21).
 */
const withoutDeleteUnreachable = (provider: string, storageClass: boolean): UpgradePlan => ({
  ...nothing,
  created: database(storageClass),
  changed: { [`urn:pulumi:test::books-gateway::pulumi:providers:kubernetes::${provider}`]: ['deleteUnreachable'] },
});
const withDatabase: UpgradePlan = { ...nothing, created: database(true) };
const eksWithDatabase: UpgradePlan = { ...nothing, created: [...eksVolumeDriver, ...database(true)] };

const expectedPlans: Record<UpgradeScenario, UpgradePlan> = {
  k3s: withoutDeleteUnreachable('k3s', true),
  'kubeconfig-file': withoutDeleteUnreachable('kubeconfig', false),
  'kubeconfig-context': withoutDeleteUnreachable('kubeconfig', false),
  aks: withDatabase,
  'aks-pinned': withDatabase,
  eks: eksWithDatabase,
  'eks-pinned': {
    ...eksWithDatabase,
    // STANDARD to EXTENDED, an UpdateClusterConfig call: a pinned version is no longer upgraded by
    // EKS under the stack (issue 20, item 2).
    changed: {
      'urn:pulumi:test::books-gateway::books-gateway:cloud:EksCluster$aws:eks/cluster:Cluster::books-gateway-cluster': ['upgradePolicy'],
    },
  },
  gke: withDatabase,
};

describe('a stack made before this version, on its first up after upgrading', () => {
  for (const scenario of Object.keys(upgradeScenarios)) {
    it(`${scenario}: deletes nothing, creates only the books API's database, and changes only what its provider updates in place`, async () => {
      assert.deepEqual(await upgradePlan(scenario), expectedPlans[scenario]);
    });
  }
});

describe('a k3s or kubeconfig stack made before this version, its kubeconfig edited later', () => {
  // The Kubernetes provider is replaced, and with it every object (the namespace, the load
  // balancer and its address), exactly when its clusterIdentifier changes.
  const movedToDns = k3sKubeconfig.replace('https://192.168.1.10:6443', 'https://pi.home.arpa:6443');

  it('updates the provider and replaces nothing when the server moves from an IP to a DNS name', async () => {
    const plan = await upgradePlan('k3s', { kubeconfig: movedToDns });
    assert.deepEqual(providerChanges(plan, 'k3s'), ['deleteUnreachable', 'kubeconfig']);
    assert.deepEqual([plan.created, plan.deleted], [database(true), []], 'nothing but the database is made, nothing deleted');
  });

  it('moves the stack, replacing every object, when clusterName is set to move it', async () => {
    const plan = await upgradePlan('kubeconfig-file', { kubeconfig: movedToDns, clusterName: 'rack-2' });
    assert.deepEqual(providerChanges(plan, 'kubeconfig'), ['clusterIdentifier', 'deleteUnreachable', 'kubeconfig']);
  });
});

describe('an aks stack made before this version, whose system pool an earlier version raise left behind', () => {
  it('brings the system pool to kubernetesVersion on its first up, and changes no resource (making only the database)', async () => {
    let azure: AzureStandIn | undefined;
    const plan = await upgradePlan('aks-pinned', {}, (standIn) => {
      standIn.systemPoolVersion = '1.32.7';
      azure = standIn;
    });
    assert.deepEqual(plan, withDatabase);
    assert.deepEqual(
      azure?.systemPoolUpgrades().map((upgrade) => upgrade.properties.orchestratorVersion),
      ['1.33'],
    );
  });
});
