/**
 * `pulumi destroy` deletes a resource before everything it depends on. The gateway's LoadBalancer
 * Service has its cloud make a load balancer (with addresses and network interfaces in the
 * cluster's network) that only the cluster's controller deletes, when the Service goes: so the
 * Service must depend, through its provider and the provider's readiness, on the cluster, its
 * nodes and every piece of its network. Otherwise destroy may delete the cluster first, leaving
 * the load balancer behind to block the deletion of the subnets, the VPC or the network. Likewise
 * the database's claim: only the cluster's CSI driver deletes the disk behind it, so the claim goes
 * first, while the driver (on EKS an add-on of the stack's own) still runs.
 */
import assert from 'node:assert/strict';
import { runProgram, type ProgramRun, type RegisteredResource, type RunOptions } from '../../../scripts/capture/program-run.js';
import { azureStandIn } from './azure-stand-in.js';
import { aks, eks, gke } from './cloud-scenarios.js';
import { pathFixture } from './commands-on-path.js';

/** Everything `resource` waits for, directly or not: its dependencies and its provider, and theirs. */
function deletedAfter(run: ProgramRun, resource: RegisteredResource): Set<RegisteredResource> {
  const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
  const found = new Set<RegisteredResource>();
  const next = [resource];
  for (let current = next.pop(); current !== undefined; current = next.pop()) {
    const providerUrn = current.provider?.slice(0, current.provider.lastIndexOf('::'));
    for (const urn of [...current.dependencies, ...(providerUrn ? [providerUrn] : [])]) {
      const dependency = byUrn.get(urn);
      if (dependency && !found.has(dependency)) {
        found.add(dependency);
        next.push(dependency);
      }
    }
  }
  return found;
}

const clouds: { name: string; scenario: RunOptions; clusterAndNetwork: RegExp; volumeDriver: RegExp }[] = [
  {
    name: 'aks',
    scenario: aks,
    clusterAndNetwork: /^azure-native:(resources:ResourceGroup|containerservice:)/,
    // Azure Disk's CSI driver is part of the cluster and its node pools.
    volumeDriver: /^azure-native:containerservice:(ManagedCluster|AgentPool)$/,
  },
  {
    name: 'eks',
    scenario: eks,
    clusterAndNetwork: /^aws:(ec2\/|eks\/cluster:|eks\/nodeGroup:)/,
    // The EBS CSI add-on, its Pod Identity agent and role, the nodes its controller runs on.
    volumeDriver: /^aws:(eks\/cluster:|eks\/nodeGroup:|eks\/addon:|iam\/role:|iam\/rolePolicyAttachment:)/,
  },
  { name: 'gke', scenario: gke, clusterAndNetwork: /^gcp:(compute\/|container\/)/, volumeDriver: /^gcp:container\// },
];

describe('pulumi destroy on each cloud', () => {
  const path = pathFixture();
  const azure = azureStandIn();
  before(() => {
    path.use(['aws', 'gke-gcloud-auth-plugin']);
    azure.install();
  });
  after(() => {
    azure.restore();
    path.restore();
  });

  for (const { name, scenario, clusterAndNetwork, volumeDriver } of clouds) {
    it(`${name}: deletes the database's volume claim, and with databaseVolumeOnDestroy delete its disk, while the cluster and its volume driver still run`, async () => {
      const run = await runProgram({ ...scenario, config: { ...scenario.config, databaseVolumeOnDestroy: 'delete' } });
      const claim = run.named('kubernetes:core/v1:PersistentVolumeClaim', 'postgres-data');
      assert.equal(run.named('kubernetes:storage.k8s.io/v1:StorageClass', 'database').inputs.reclaimPolicy, 'Delete');
      const after = deletedAfter(run, claim);
      const driver = run.resources.filter((r) => volumeDriver.test(r.type));
      assert.ok(driver.length >= 2, `the ${name} cluster and its volume driver are found by type`);
      const before = driver.filter((r) => !after.has(r)).map((r) => `${r.type} ${r.name}`);
      assert.deepEqual(before, [], 'deleted before the claim is');
    });

    it(`${name}: deletes the gateway's LoadBalancer Service before the cluster, its nodes and every piece of its network`, async () => {
      const run = await runProgram(scenario);
      const service = run.named('kubernetes:core/v1:Service', 'gateway');
      assert.equal(service.inputs.spec.type, 'LoadBalancer');
      const after = deletedAfter(run, service);
      const infrastructure = run.resources.filter((r) => clusterAndNetwork.test(r.type));
      assert.ok(infrastructure.length >= 3, `the ${name} cluster and network are found by type`);
      const before = infrastructure.filter((r) => !after.has(r)).map((r) => `${r.type} ${r.name}`);
      assert.deepEqual(before, [], 'deleted before the load balancer is');
    });
  }
});
