import * as pulumi from '@pulumi/pulumi';
import assert from 'node:assert/strict';
import { acrRefreshToken as exchangeForPushToken } from '../../../stacks/aks/acr-push-token.js';
import { bringSystemPoolTo } from '../../../stacks/aks/system-pool-version.js';
import { runProgram, type ProgramRun } from '../../../scripts/capture/program-run.js';
import { acrRefreshToken, azureStandIn } from '../shared/azure-stand-in.js';
import {
  acrLoginServer,
  aks,
  aksKubeconfig,
  azureSubscriptionId,
  azureTenantId,
  entraAccessToken,
  principalIdOf,
  withConfig,
} from '../shared/cloud-scenarios.js';
import {
  assertDeploysThroughClusterProvider,
  assertFailsBeforeAnyResource,
  assertGatewayServiceKeepsClientAddress,
  assertImagesPushedTo,
  assertWaitsFor,
  assertTwoGatewaysSurviveANodeUpgrade,
} from '../shared/cloud-assertions.js';

const clusterType = 'azure-native:containerservice:ManagedCluster';
const registryType = 'azure-native:containerregistry:Registry';
const nodePoolType = 'azure-native:containerservice:AgentPool';
const roleAssignmentType = 'azure-native:authorization:RoleAssignment';

describe('aks target', () => {
  // No ACR answers here: its token exchange (POST /oauth2/exchange) is played by a stand-in,
  // which records what the target sends.
  const azure = azureStandIn();
  before(() => azure.install());
  after(() => azure.restore());

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

    it('gives the cluster and its nodes user-assigned identities, on the default version', () => {
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
    });

    it('runs a one-node system pool inline, its size as made, and the 2 Standard_B2s nodes the stack sizes in a pool of their own', () => {
      const [system, ...others] = run.named(clusterType, 'books-gateway-cluster').inputs.agentPoolProfiles;
      assert.deepEqual(others, []);
      assert.deepEqual([system.name, system.mode, system.count, system.vmSize], ['system', 'System', 1, 'Standard_B2s']);
      const pool = run.named(nodePoolType, 'books-gateway-nodes').inputs;
      assert.deepEqual(
        [pool.resourceName, pool.mode, pool.count, pool.vmSize, pool.orchestratorVersion],
        ['books-gateway-clusterx1y2z3', 'User', 2, 'Standard_B2s', undefined],
      );
      assert.match(pool.agentPoolName, /^[a-z][a-z0-9]{1,11}$/, 'a valid Linux pool name');
      // Azure reports the separate pool among the cluster's: no diff there may touch it.
      assert.deepEqual(run.named(clusterType, 'books-gateway-cluster').ignoreChanges, ['agentPoolProfiles']);
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
      assert.deepEqual(
        run
          .ofType(roleAssignmentType)
          .map((a) => a.name)
          .sort(),
        ['books-gateway-acr-pull', 'books-gateway-kubelet-operator'],
      );
      assertWaitsFor(run.named(clusterType, 'books-gateway-cluster'), ['books-gateway-acr-pull', 'books-gateway-kubelet-operator']);
    });

    it('deploys every Kubernetes object through a provider on the new cluster, once its nodes can pull', () => {
      assertDeploysThroughClusterProvider(run, {
        kubeconfig: aksKubeconfig,
        clusterIdentifier: 'books-gateway-cluster-id',
        readyWhen: ['books-gateway-cluster', 'books-gateway-nodes', 'books-gateway-acr-pull'],
      });
    });

    it('runs one gateway by default; with gatewayReplicas 2, two on different nodes, drained one at a time', async () => {
      assertTwoGatewaysSurviveANodeUpgrade(run, await runProgram(withConfig(aks, { gatewayReplicas: '2' })));
    });

    it("keeps Azure's default load balancer for the gateway, which passes the client's address through", () => {
      assertGatewayServiceKeepsClientAddress(run, undefined);
    });

    it("pushes linux/amd64 images to the ACR with the deploying identity's token, no admin user, no pull secret", () => {
      assertImagesPushedTo(run, {
        repository: (image) => `${acrLoginServer}/${image}`,
        credentials: { address: acrLoginServer, username: '00000000-0000-0000-0000-000000000000', password: acrRefreshToken },
      });
      const registry = run.named(registryType, 'booksgateway').inputs;
      assert.equal(registry.sku.name, 'Basic');
      assert.equal(registry.adminUserEnabled, false);
      const exchange = azure.requests.filter((request) => request.url.endsWith('/oauth2/exchange')).at(-1);
      assert.equal(exchange?.url, `https://${acrLoginServer}/oauth2/exchange`);
      assert.deepEqual(Object.fromEntries(new URLSearchParams(exchange.body)), {
        grant_type: 'access_token',
        service: acrLoginServer,
        tenant: azureTenantId,
        access_token: entraAccessToken,
      });
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

  it('creates the node pool with the configured count, size and Kubernetes version, a new size as a new pool', async () => {
    const defaults = await runProgram(aks);
    const run = await runProgram(withConfig(aks, { nodeCount: '3', nodeSize: 'Standard_D2s_v5', kubernetesVersion: '1.33.2' }));
    const cluster = run.named(clusterType, 'books-gateway-cluster').inputs;
    assert.equal(cluster.kubernetesVersion, '1.33.2');
    // The inline pool, which Azure refuses to change, is the same whatever the stack sets.
    assert.deepEqual(cluster.agentPoolProfiles, defaults.named(clusterType, 'books-gateway-cluster').inputs.agentPoolProfiles);
    const pool = run.named(nodePoolType, 'books-gateway-nodes').inputs;
    assert.deepEqual([pool.count, pool.vmSize, pool.orchestratorVersion], [3, 'Standard_D2s_v5', '1.33.2']);
    // Azure cannot resize a pool: another size is another pool name, so Pulumi makes the new pool
    // before it removes the old one.
    assert.notEqual(pool.agentPoolName, defaults.named(nodePoolType, 'books-gateway-nodes').inputs.agentPoolName);
    const recount = await runProgram(withConfig(aks, { nodeCount: '3' }));
    assert.equal(
      recount.named(nodePoolType, 'books-gateway-nodes').inputs.agentPoolName,
      defaults.named(nodePoolType, 'books-gateway-nodes').inputs.agentPoolName,
    );
  });

  describe('keeps every pool on kubernetesVersion', () => {
    const upgradeRequests = () => azure.requests.filter((r) => r.url.includes('/agentPools/system')).length;

    it("raising it moves the control plane, the stack's pool and the system pool, which AKS leaves behind", async () => {
      azure.systemPoolVersion = '1.33.2';
      const before = azure.systemPoolUpgrades().length;
      const run = await runProgram(withConfig(aks, { kubernetesVersion: '1.34' }));
      assert.equal(run.named(clusterType, 'books-gateway-cluster').inputs.kubernetesVersion, '1.34');
      assert.equal(run.named(nodePoolType, 'books-gateway-nodes').inputs.orchestratorVersion, '1.34');
      const [upgrade, ...more] = azure.systemPoolUpgrades().slice(before);
      assert.deepEqual(more, []);
      // The pool as AKS has it, with the new version and without what ARM reports but does not take.
      assert.deepEqual(upgrade.properties, { mode: 'System', count: 1, vmSize: 'Standard_B2s', orchestratorVersion: '1.34' });
      assert.equal(run.outputs.systemPoolVersion, '1.34');
    });

    it('leaves a system pool already on that version alone, and without kubernetesVersion does not look at it', async () => {
      azure.systemPoolVersion = '1.34.1';
      const before = upgradeRequests();
      const run = await runProgram(withConfig(aks, { kubernetesVersion: '1.34' }));
      assert.equal(run.outputs.systemPoolVersion, '1.34');
      assert.equal(upgradeRequests(), before + 1, 'one read, no upgrade');
      const unpinned = await runProgram(aks);
      assert.equal(unpinned.outputs.systemPoolVersion, undefined);
      assert.equal(upgradeRequests(), before + 1);
    });

    describe('the upgrade itself', () => {
      const upgrade = {
        clusterId: '/subscriptions/s/resourceGroups/books-rg/providers/Microsoft.ContainerService/managedClusters/books',
        version: '1.34',
        accessToken: 't',
      };
      const quick = { retry: { attempts: 2, timeoutMs: 50, firstDelayMs: 1 }, pollIntervalMs: 1, timeoutMs: 1_000 };
      afterEach(() => {
        azure.upgradeStates = ['Succeeded'];
      });

      it('waits while AKS upgrades the pool, through a dropped connection', async () => {
        azure.systemPoolVersion = '1.33.2';
        azure.upgradeStates = ['Upgrading', 'Upgrading', 'Succeeded'];
        const before = upgradeRequests();
        azure.failNext('network');
        assert.equal(await bringSystemPoolTo(upgrade, quick), '1.34');
        // read (after one dropped try), upgrade, then two reads until it has succeeded
        assert.equal(upgradeRequests() - before, 5);
        assert.equal(azure.systemPoolVersion, '1.34');
      });

      it('fails with a RunError naming the pool and the az command when the upgrade fails', async () => {
        azure.systemPoolVersion = '1.33.2';
        azure.upgradeStates = ['Upgrading', 'Failed'];
        await assert.rejects(
          bringSystemPoolTo(upgrade, quick),
          (error: unknown) =>
            pulumi.RunError.isInstance(error) &&
            /system pool of .*managedClusters\/books to 1\.34 failed.*az aks nodepool upgrade --resource-group books-rg --cluster-name books --name system --kubernetes-version 1\.34/s.test(
              String(error),
            ),
        );
      });

      it('fails with a RunError, without retrying, when Azure refuses the identity', async () => {
        azure.systemPoolVersion = '1.33.2';
        azure.failNext(403);
        await assert.rejects(
          bringSystemPoolTo(upgrade, quick),
          (error: unknown) =>
            pulumi.RunError.isInstance(error) &&
            /Azure refused to read the system pool of .*HTTP 403.*az aks nodepool upgrade/s.test(String(error)),
        );
      });
    });
  });

  describe("ACR's token exchange", () => {
    const request = { loginServer: acrLoginServer, tenantId: azureTenantId, accessToken: entraAccessToken };
    /** Short waits, so that the tests take milliseconds where a run takes seconds. */
    const quick = { attempts: 3, timeoutMs: 50, firstDelayMs: 1 };
    const exchangesSince = (start: number) => azure.requests.slice(start).filter((r) => r.url.endsWith('/oauth2/exchange')).length;

    it('tries again after a dropped connection, a 503 and a timeout, and gets the token', async () => {
      const start = azure.requests.length;
      azure.failNext('network', 503);
      assert.equal(await exchangeForPushToken(request, quick), acrRefreshToken);
      azure.failNext('hang');
      assert.equal(await exchangeForPushToken(request, quick), acrRefreshToken);
      assert.equal(exchangesSince(start), 5);
    });

    it('fails with a RunError naming the registry and the last reason once every try has failed', async () => {
      const start = azure.requests.length;
      azure.failNext('network', 503, 'hang');
      const error = await exchangeForPushToken(request, quick).then(
        () => assert.fail('the exchange succeeded'),
        (failure: unknown) => failure,
      );
      assert.ok(pulumi.RunError.isInstance(error), 'a RunError: Pulumi prints its message without a stack trace');
      assert.match(
        String(error),
        new RegExp(
          `exchange the deploying identity's Entra ID token for a push token of the registry ${acrLoginServer}.*3 tries failed, the last with no answer within 0\\.05 s`,
          's',
        ),
      );
      assert.equal(exchangesSince(start), 3);
    });

    it('fails at once, naming the rights the identity lacks, when ACR refuses it', async () => {
      const start = azure.requests.length;
      azure.exchangeStatus = 401;
      try {
        await assert.rejects(
          exchangeForPushToken(request, quick),
          (error: unknown) =>
            pulumi.RunError.isInstance(error) &&
            /refused to exchange the deploying identity's Entra ID token for a push token \(HTTP 401\).*Owner, Contributor or AcrPush/s.test(
              String(error),
            ),
        );
        assert.equal(exchangesSince(start), 1, 'a refusal is not retried');
      } finally {
        azure.exchangeStatus = 200;
      }
    });
  });

  describe('config errors, before any resource', () => {
    it('names azure-native:location and the command to set it when it is missing', async () => {
      await assertFailsBeforeAnyResource(
        withConfig(aks, { 'azure-native:location': undefined }),
        /azure-native:location.*pulumi config set azure-native:location westeurope/s,
      );
    });

    it('rejects a node count below 1', async () => {
      await assertFailsBeforeAnyResource(
        withConfig(aks, { nodeCount: '0' }),
        /books-gateway:nodeCount must be a whole number of at least 1/,
      );
    });

    it('rejects a Kubernetes version AKS would not accept', async () => {
      await assertFailsBeforeAnyResource(
        withConfig(aks, { kubernetesVersion: 'latest' }),
        /books-gateway:kubernetesVersion "latest".*pulumi config set kubernetesVersion 1\.33/s,
      );
    });
  });
});
