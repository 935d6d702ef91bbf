import assert from 'node:assert/strict';
import { runProgram, type ProgramRun } from '../../support/program-harness.js';
import {
  acrLoginServer,
  acrPassword,
  aks,
  aksKubeconfig,
  azureSubscriptionId,
  principalIdOf,
  withConfig,
} from '../shared/cloud-scenarios.js';
import {
  assertDeploysThroughClusterProvider,
  assertFailsBeforeAnyResource,
  assertGatewayServiceKeepsClientAddress,
  assertImagesPushedTo,
  assertWaitsFor,
} from '../shared/cloud-assertions.js';

const clusterType = 'azure-native:containerservice:ManagedCluster';
const registryType = 'azure-native:containerregistry:Registry';
const roleAssignmentType = 'azure-native:authorization:RoleAssignment';

describe('aks target', () => {
  describe('with the default node pool', () => {
    let run: ProgramRun;
    before(async () => {
      run = await runProgram(aks);
    });

    it('creates the resource group, cluster and registry in the configured location', () => {
      assert.equal(run.named('azure-native:resources:ResourceGroup', 'books-gateway-rg').inputs.location, 'westeurope');
      assert.equal(run.named(clusterType, 'books-gateway-cluster').inputs.resourceGroupName, 'books-gateway-rgx1y2z3');
      assert.equal(run.named(clusterType, 'books-gateway-cluster').inputs.location, 'westeurope');
      assert.equal(run.named(registryType, 'booksgateway').inputs.location, 'westeurope');
    });

    it('gives the cluster and its nodes user-assigned identities, and one pool of 2 Standard_B2s nodes on the default version', () => {
      const cluster = run.named(clusterType, 'books-gateway-cluster').inputs;
      assert.deepEqual(cluster.identity, { type: 'UserAssigned', userAssignedIdentities: ['books-gateway-control-plane-id'] });
      assert.deepEqual(cluster.identityProfile, {
        kubeletidentity: {
          resourceId: 'books-gateway-kubelet-id',
          clientId: 'books-gateway-kubelet-client-id',
          objectId: principalIdOf('books-gateway-kubelet'),
        },
      });
      assert.equal(cluster.kubernetesVersion, undefined);
      assert.equal(cluster.agentPoolProfiles.length, 1);
      assert.deepEqual(
        { count: cluster.agentPoolProfiles[0].count, vmSize: cluster.agentPoolProfiles[0].vmSize, mode: cluster.agentPoolProfiles[0].mode },
        { count: 2, vmSize: 'Standard_B2s', mode: 'System' },
      );
    });

    it('runs a network policy engine, so that the NetworkPolicies are enforced', () => {
      const network = run.named(clusterType, 'books-gateway-cluster').inputs.networkProfile;
      assert.equal(network.networkPolicy, 'cilium');
      assert.equal(network.networkDataplane, 'cilium');
    });

    it('lets the kubelet identity pull from the registry with the AcrPull role, and nothing more', () => {
      const assignment = run.named(roleAssignmentType, 'books-gateway-acr-pull');
      assert.equal(assignment.inputs.principalId, principalIdOf('books-gateway-kubelet'));
      assert.equal(assignment.inputs.principalType, 'ServicePrincipal');
      assert.equal(
        assignment.inputs.roleDefinitionId,
        `/subscriptions/${azureSubscriptionId}/providers/Microsoft.Authorization/roleDefinitions/7f951dda-4ed3-4680-a7ca-43fe172d538d`,
      );
      assert.equal(assignment.inputs.scope, 'booksgateway-id');
    });

    it('grants every role before the cluster exists, so that a deployer without the right to grant fails in seconds', () => {
      const operator = run.named(roleAssignmentType, 'books-gateway-kubelet-operator').inputs;
      assert.equal(operator.principalId, principalIdOf('books-gateway-control-plane'));
      assert.equal(
        operator.roleDefinitionId,
        `/subscriptions/${azureSubscriptionId}/providers/Microsoft.Authorization/roleDefinitions/f1a07417-d97a-45cb-824c-7a7467783830`,
      );
      assert.equal(operator.scope, 'books-gateway-kubelet-id');
      assert.deepEqual(run.ofType(roleAssignmentType).map((a) => a.name).sort(), ['books-gateway-acr-pull', 'books-gateway-kubelet-operator']);
      assertWaitsFor(clusterType, 'books-gateway-cluster', ['books-gateway-acr-pull', 'books-gateway-kubelet-operator']);
    });

    it('deploys every Kubernetes object through a provider on the new cluster, once its nodes can pull', () => {
      assertDeploysThroughClusterProvider(run, {
        kubeconfig: aksKubeconfig,
        clusterIdentifier: 'books-gateway-cluster-id',
        readyWhen: ['books-gateway-cluster', 'books-gateway-acr-pull'],
      });
    });

    it("keeps Azure's default load balancer for the gateway, which passes the client's address through", () => {
      assertGatewayServiceKeepsClientAddress(run, undefined);
    });

    it('pushes linux/amd64 images to the ACR with its admin credentials, and needs no pull secret', () => {
      assertImagesPushedTo(run, {
        repository: (image) => `${acrLoginServer}/${image}`,
        credentials: { address: acrLoginServer, username: 'booksgatewayx1y2z3', password: acrPassword },
      });
      assert.equal(run.named(registryType, 'booksgateway').inputs.sku.name, 'Basic');
    });

    it('exports the kubeconfig as a secret, the cluster, its resource group and the registry, and the gateway URL by IP', () => {
      assert.equal(run.outputs.kubeconfig, aksKubeconfig);
      assert.ok(run.secretOutputs.includes('kubeconfig'));
      assert.equal(run.outputs.clusterName, 'books-gateway-clusterx1y2z3');
      assert.equal(run.outputs.resourceGroup, 'books-gateway-rgx1y2z3');
      assert.equal(run.outputs.registry, acrLoginServer);
      assert.equal(run.outputs.gatewayUrl, 'http://203.0.113.10');
    });
  });

  it('creates the node pool with the configured count, size and Kubernetes version', async () => {
    const run = await runProgram(
      withConfig(aks, { nodeCount: '3', nodeSize: 'Standard_D2s_v5', kubernetesVersion: '1.33.2' }),
    );
    const cluster = run.named(clusterType, 'books-gateway-cluster').inputs;
    assert.equal(cluster.kubernetesVersion, '1.33.2');
    assert.equal(cluster.agentPoolProfiles[0].count, 3);
    assert.equal(cluster.agentPoolProfiles[0].vmSize, 'Standard_D2s_v5');
  });

  describe('config errors, before any resource', () => {
    it('names azure-native:location and the command to set it when it is missing', async () => {
      await assertFailsBeforeAnyResource(
        withConfig(aks, { 'azure-native:location': undefined }),
        /azure-native:location.*pulumi config set azure-native:location westeurope/s,
      );
    });

    it('rejects a node count below 1', async () => {
      await assertFailsBeforeAnyResource(withConfig(aks, { nodeCount: '0' }), /books-gateway:nodeCount must be a whole number of at least 1/);
    });

    it('rejects a Kubernetes version AKS would not accept', async () => {
      await assertFailsBeforeAnyResource(
        withConfig(aks, { kubernetesVersion: 'latest' }),
        /books-gateway:kubernetesVersion "latest".*pulumi config set kubernetesVersion 1\.33/s,
      );
    });
  });
});
