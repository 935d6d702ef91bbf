import * as authorization from '@pulumi/azure-native/authorization';
import * as containerregistry from '@pulumi/azure-native/containerregistry';
import * as containerservice from '@pulumi/azure-native/containerservice';
import * as managedidentity from '@pulumi/azure-native/managedidentity';
import * as resources from '@pulumi/azure-native/resources';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { createHash } from 'node:crypto';
import { readBuildCache } from '../shared/build-cache-config.js';
import { readNodePoolConfig } from '../shared/node-pool-config.js';
import { type CloudCluster, cloudTarget, clusterProvider } from '../shared/cloud-cluster.js';
import { requiredString } from '../config/stack-config.js';
import { acrRefreshToken, acrTokenUserName } from './acr-push-token.js';
import { bringSystemPoolTo } from './system-pool-version.js';
import type { ImageName } from '../../components/target.js';
import type { ImageRegistry, Target, VolumeProvisioner } from '../../components/target.js';

/** The system pool's one node: the smallest size AKS accepts for a system pool (2 vCPU, 4 GiB). */
const systemNodeSize = 'Standard_B2s';
const defaultNodeSize = 'Standard_B2s';

/** Built-in Azure role that lets a principal pull images from a registry, and nothing more. */
const acrPullRoleId = '7f951dda-4ed3-4680-a7ca-43fe172d538d';
/** Built-in Azure role that lets a principal assign a user-assigned identity (to the nodes). */
const managedIdentityOperatorRoleId = 'f1a07417-d97a-45cb-824c-7a7467783830';

export interface AksClusterArgs {
  /** Azure region of every resource (`azure-native:location`), e.g. `westeurope`. */
  location: string;
  /** Nodes in the cluster's node pool, at least 1 (beside the system pool's one node). */
  nodeCount: number;
  /** VM size of the nodes. Default `Standard_B2s` (2 vCPU, 4 GiB). */
  nodeSize?: string;
  /** Kubernetes version, `1.33` or `1.33.2`. Default: AKS's current default version. */
  kubernetesVersion?: string;
}

/**
 * An AKS cluster ready for GatewayStack: a resource group holding the cluster (user-assigned
 * control plane and kubelet identities, a one-node system pool and a node pool, Cilium enforcing NetworkPolicies) and an
 * Azure Container Registry its nodes pull from by identity, plus the Kubernetes provider for the
 * new cluster.
 */
export class AksCluster extends pulumi.ComponentResource implements CloudCluster {
  readonly provider: k8s.Provider;
  readonly registry: ImageRegistry;
  /** `<registry name>.azurecr.io`. */
  readonly registryHost: pulumi.Output<string>;
  readonly clusterName: pulumi.Output<string>;
  readonly resourceGroupName: pulumi.Output<string>;
  readonly kubeconfig: pulumi.Output<string>;
  /**
   * Azure Disk's CSI driver, which AKS runs, with the parameters of AKS's own default class
   * (`managed-csi`): a zonal StandardSSD disk, made where the pod is scheduled.
   */
  readonly volumeProvisioner: VolumeProvisioner = {
    provisioner: 'disk.csi.azure.com',
    parameters: { skuname: 'StandardSSD_LRS' },
    volumeBindingMode: 'WaitForFirstConsumer',
    allowVolumeExpansion: true,
  };
  /**
   * The version the system pool runs once the stack has upgraded it to kubernetesVersion; a
   * stack output, so that `pulumi up` waits for the upgrade and fails when it does. Undefined
   * without a kubernetesVersion: AKS's default version, which the system pool was created on.
   */
  readonly systemPoolVersion: pulumi.Output<string | undefined>;

  constructor(name: string, args: AksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super('books-gateway:cloud:AksCluster', name, {}, opts);
    const parent = { parent: this };

    const resourceGroup = new resources.ResourceGroup(`${name}-rg`, { location: args.location }, parent);
    const resourceGroupName = resourceGroup.name;

    const registry = new containerregistry.Registry(
      // Registry names are global and alphanumeric only: the provider appends a random suffix.
      'booksgateway',
      {
        resourceGroupName,
        location: resourceGroup.location,
        sku: { name: containerregistry.SkuName.Basic },
        // No shared password: images are pushed as the deploying identity, pulled as the nodes'.
        adminUserEnabled: false,
      },
      parent,
    );

    // The nodes' (kubelet's) identity, made here rather than by AKS, so that its AcrPull right is
    // granted before the cluster exists: role assignments need Owner, User Access Administrator or
    // Role Based Access Control Administrator, and an identity without that right now fails within
    // seconds, before the cluster's ten minutes and its cost, rather than after them. The cluster's
    // own (control plane) identity must be user-assigned too, and may assign the kubelet identity.
    const controlPlaneIdentity = new managedidentity.UserAssignedIdentity(
      `${name}-control-plane`,
      { resourceGroupName, location: resourceGroup.location },
      parent,
    );
    const kubeletIdentity = new managedidentity.UserAssignedIdentity(
      `${name}-kubelet`,
      { resourceGroupName, location: resourceGroup.location },
      parent,
    );
    const clientConfig = authorization.getClientConfigOutput(parent);
    const roleAssignment = (assignment: string, principalId: pulumi.Input<string>, roleId: string, scope: pulumi.Input<string>) =>
      new authorization.RoleAssignment(
        `${name}-${assignment}`,
        {
          principalId,
          // Names the principal's kind so that Azure does not look the just-created identity up in
          // Entra ID, where it may not have replicated yet.
          principalType: authorization.PrincipalType.ServicePrincipal,
          roleDefinitionId: pulumi.interpolate`/subscriptions/${clientConfig.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`,
          scope,
        },
        parent,
      );
    const acrPull = roleAssignment('acr-pull', kubeletIdentity.principalId, acrPullRoleId, registry.id);
    const kubeletOperator = roleAssignment(
      'kubelet-operator',
      controlPlaneIdentity.principalId,
      managedIdentityOperatorRoleId,
      kubeletIdentity.id,
    );

    const cluster = new containerservice.ManagedCluster(
      `${name}-cluster`,
      {
        resourceGroupName,
        location: resourceGroup.location,
        dnsPrefix: 'books-gateway',
        kubernetesVersion: args.kubernetesVersion,
        identity: { type: containerservice.ResourceIdentityType.UserAssigned, userAssignedIdentities: [controlPlaneIdentity.id] },
        identityProfile: {
          kubeletidentity: { resourceId: kubeletIdentity.id, clientId: kubeletIdentity.clientId, objectId: kubeletIdentity.principalId },
        },
        sku: { name: containerservice.ManagedClusterSKUName.Base, tier: containerservice.ManagedClusterSKUTier.Free },
        // AKS creates a cluster only together with a first (system) pool, and refuses changes to
        // a pool given inline here: this one keeps its size (one small node for AKS's own pods),
        // its version follows kubernetesVersion through the AgentPools API (systemPoolVersion),
        // and the nodes the stack sizes are the separate pool below.
        agentPoolProfiles: [
          {
            name: 'system',
            mode: containerservice.AgentPoolMode.System,
            count: 1,
            vmSize: systemNodeSize,
            osType: containerservice.OSType.Linux,
            type: containerservice.AgentPoolType.VirtualMachineScaleSets,
          },
        ],
        // GatewayStack's NetworkPolicies (default deny, backends only from the gateway) are only
        // enforced when the cluster runs a policy engine; without one AKS silently ignores them.
        networkProfile: {
          networkPlugin: containerservice.NetworkPlugin.Azure,
          networkPluginMode: containerservice.NetworkPluginMode.Overlay,
          networkDataplane: containerservice.NetworkDataplane.Cilium,
          networkPolicy: containerservice.NetworkPolicy.Cilium,
        },
      },
      {
        parent: this,
        // The nodes pull with their identity's AcrPull right from their first pod on.
        dependsOn: [acrPull, kubeletOperator],
        // Azure lists every pool of the cluster here, the separate one too: a diff on it would
        // try to remove that pool, or change the system one, which Azure refuses.
        ignoreChanges: ['agentPoolProfiles'],
      },
    );

    const vmSize = args.nodeSize ?? defaultNodeSize;
    const nodePool = new containerservice.AgentPool(
      `${name}-nodes`,
      {
        resourceGroupName,
        resourceName: cluster.name,
        // A new size is a new pool (Azure cannot resize one): named after its size, it is created
        // before the old one is drained and removed. A count or version change updates it.
        agentPoolName: agentPoolName(vmSize),
        mode: containerservice.AgentPoolMode.User,
        count: args.nodeCount,
        vmSize,
        orchestratorVersion: args.kubernetesVersion,
        osType: containerservice.OSType.Linux,
        type: containerservice.AgentPoolType.VirtualMachineScaleSets,
        upgradeSettings: { maxSurge: '1' },
      },
      parent,
    );

    const loginServer = registry.loginServer;
    // Fetched on every `pulumi up`, for the identity running it: an Entra ID token for Azure
    // Resource Manager, which ACR also exchanges for a push token.
    const accessToken = authorization.getClientTokenOutput({}, parent).token;

    // The system pool is upgraded apart (system-pool-version.ts), after the control plane and the
    // stack's own pool: the cluster's id and the pool's are known once their updates are done.
    const wantedVersion = args.kubernetesVersion;
    this.systemPoolVersion =
      wantedVersion === undefined
        ? pulumi.output(undefined)
        : pulumi.all([cluster.id, nodePool.id, pulumi.unsecret(accessToken)]).apply(async ([clusterId, , token]) =>
            // A preview changes nothing; the cluster's own diff shows the version change.
            pulumi.runtime.isDryRun() ? wantedVersion : bringSystemPoolTo({ clusterId, version: wantedVersion, accessToken: token }),
          );
    const pushToken = pulumi
      .all([loginServer, clientConfig.tenantId, accessToken])
      .apply(([server, tenantId, token]) => acrRefreshToken({ loginServer: server, tenantId, accessToken: token }));
    this.registryHost = loginServer;
    this.registry = {
      repository: (image: ImageName) => pulumi.interpolate`${loginServer}/${image}`,
      credentials: { address: loginServer, username: acrTokenUserName, password: pulumi.secret(pushToken) },
      needsPullSecret: false,
    };

    // The user credential, not the admin one: on this cluster (local accounts, no Entra ID
    // integration) both are the same client-certificate kubeconfig, usable by the provider without
    // kubelogin; asking for the user credential keeps working, with Azure RBAC, if Entra ID is
    // enabled later (then with format 'exec' and kubelogin on the PATH).
    const userCredentials = containerservice.listManagedClusterUserCredentialsOutput(
      { resourceGroupName, resourceName: cluster.name },
      parent,
    );
    this.kubeconfig = pulumi.secret(
      userCredentials.apply((c) => Buffer.from(requireValue(c.kubeconfigs[0]?.value, 'AKS user kubeconfig'), 'base64').toString('utf8')),
    );

    this.provider = clusterProvider(
      name,
      // Nodes pull by identity: without the role assignment the first pods would fail ImagePull.
      { kubeconfig: this.kubeconfig, clusterIdentifier: cluster.id, readyWhen: [cluster, nodePool, acrPull] },
      this,
    );
    this.clusterName = cluster.name;
    this.resourceGroupName = resourceGroupName;
    this.registerOutputs({ clusterName: this.clusterName, registry: loginServer });
  }
}

/**
 * Name of the node pool of a VM size: Linux pool names are at most 12 lower-case letters and
 * digits, starting with a letter.
 */
export function agentPoolName(vmSize: string): string {
  return `nodes${createHash('sha256').update(vmSize.toLowerCase()).digest('hex').slice(0, 7)}`;
}

function requireValue<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`Azure returned no ${what}`);
  return value;
}

/** The `aks` target: reads and checks the stack config, then creates the cluster and its registry. */
export function createAksTarget(): Target {
  const location = requiredString(
    new pulumi.Config('azure-native'),
    'location',
    'the Azure region the aks target creates its cluster and registry in',
    'westeurope',
  );
  const nodePool = readNodePoolConfig({ pattern: /^\d+\.\d+(\.\d+)?$/, example: '1.33' });
  const buildCache = readBuildCache(new pulumi.Config(), 'registry');

  const aks = new AksCluster('books-gateway', { location, ...nodePool });
  return cloudTarget(aks, buildCache, { resourceGroup: aks.resourceGroupName, systemPoolVersion: aks.systemPoolVersion });
}
