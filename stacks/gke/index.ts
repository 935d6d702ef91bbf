import * as gcp from '@pulumi/gcp';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { randomBytes } from 'node:crypto';
import { readBuildCache } from '../shared/build-cache-config.js';
import { readNodePoolConfig } from '../shared/node-pool-config.js';
import { type CloudCluster, cloudTarget, clusterProvider } from '../shared/cloud-cluster.js';
import { execKubeconfigSecret } from '../shared/cloud-kubeconfig.js';
import { requireCommandForUp } from '../shared/command-on-path.js';
import { fullKey, optionalString, requiredString, setCommand } from '../config/stack-config.js';
import { type PluginEnvironmentVariable, readPluginEnvironment } from './plugin-credentials.js';
import type { ImageName } from '../../components/target.js';
import type { ImageRegistry, Target, VolumeProvisioner } from '../../components/target.js';

/** Address plan of the subnetwork: nodes, then the alias ranges of a VPC-native cluster. */
const nodeCidr = '10.10.0.0/20';
const podRange = { rangeName: 'pods', ipCidrRange: '10.20.0.0/16' };
const serviceRange = { rangeName: 'services', ipCidrRange: '10.30.0.0/20' };

export interface GkeClusterArgs {
  /** Google Cloud project (`gcp:project`). */
  project: string;
  /** Region of the subnetwork and the Artifact Registry repository (`gcp:region`), e.g. `europe-west1`. */
  region: string;
  /**
   * Zone of the cluster and its nodes (`gcp:zone`, inside `region`). Default: the region's first
   * zone in alphabetical order. A zonal cluster, because GKE's free tier waives the management
   * fee of one zonal cluster, and its node pool holds `nodeCount` nodes in all (a regional pool
   * holds that many in each of three zones).
   */
  zone?: string;
  /** Nodes in the node pool, at least 1. */
  nodeCount: number;
  /** Machine type of the nodes. Default `e2-standard-2` (2 vCPU, 8 GiB). */
  nodeSize?: string;
  /** Minimum Kubernetes version of the control plane, e.g. `1.33`. Default: the release channel's default. */
  kubernetesVersion?: string;
  /** GKE refuses to delete a protected cluster, so `pulumi destroy` fails until this is off. Default false. */
  deletionProtection?: boolean;
  /** The kubeconfig's gke-gcloud-auth-plugin's environment, for the credentials the provider uses. Default: none. */
  pluginEnvironment?: PluginEnvironmentVariable[];
}

/**
 * A GKE cluster ready for GatewayStack: a network and subnetwork with a Cloud NAT, a VPC-native
 * cluster (Dataplane V2 enforcing NetworkPolicies, Workload Identity) without its default node
 * pool, a node pool of private nodes running as their own service account, an Artifact Registry
 * Docker repository those nodes may read, and the Kubernetes provider for the new cluster.
 */
export class GkeCluster extends pulumi.ComponentResource implements CloudCluster {
  readonly provider: k8s.Provider;
  readonly registry: ImageRegistry;
  /** `<region>-docker.pkg.dev`. */
  readonly registryHost: string;
  readonly clusterName: pulumi.Output<string>;
  readonly kubeconfig: pulumi.Output<string>;
  /**
   * Compute Engine's persistent disk CSI driver, which GKE runs on every new cluster, with the
   * parameters of GKE's own default class (`standard-rwo`): a balanced zonal disk.
   */
  readonly volumeProvisioner: VolumeProvisioner = {
    provisioner: 'pd.csi.storage.gke.io',
    parameters: { type: 'pd-balanced' },
    volumeBindingMode: 'WaitForFirstConsumer',
    allowVolumeExpansion: true,
  };

  constructor(name: string, args: GkeClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super('books-gateway:cloud:GkeCluster', name, {}, opts);
    const parent = { parent: this };
    const { project, region } = args;
    const zone = args.zone ?? firstZone(project, region, this);

    const network = new gcp.compute.Network(`${name}-network`, { project, autoCreateSubnetworks: false }, parent);
    const subnetwork = new gcp.compute.Subnetwork(
      `${name}-subnet`,
      {
        project,
        region,
        network: network.id,
        ipCidrRange: nodeCidr,
        secondaryIpRanges: [podRange, serviceRange],
        // The nodes have no public address: this is how they reach Artifact Registry and the
        // other Google APIs, inside Google's network rather than through the Cloud NAT below.
        privateIpGoogleAccess: true,
      },
      parent,
    );

    // Private nodes reach the internet only through a NAT. The system's own images come from
    // Artifact Registry (Private Google Access), so none needs it since the gateway serves its
    // metrics without an exporter image from Docker Hub; it stays for what an operator adds
    // from outside Google (Private Google Access does not reach Docker Hub). Addresses allocated
    // by Google; only this subnetwork's nodes and pods are translated.
    const router = new gcp.compute.Router(`${name}-router`, { project, region, network: network.id }, parent);
    const nat = new gcp.compute.RouterNat(
      `${name}-nat`,
      {
        project,
        region,
        router: router.name,
        natIpAllocateOption: 'AUTO_ONLY',
        sourceSubnetworkIpRangesToNat: 'LIST_OF_SUBNETWORKS',
        subnetworks: [{ name: subnetwork.id, sourceIpRangesToNats: ['ALL_IP_RANGES'] }],
      },
      parent,
    );

    // The nodes' own identity instead of the project's default compute account (Editor on the
    // whole project): it may write logs and metrics and read this stack's images, nothing else.
    const nodeAccount = new gcp.serviceaccount.Account(
      `${name}-nodes`,
      { project, displayName: `books-gateway ${pulumi.getStack()} GKE nodes` },
      parent,
    );
    const nodeRole = new gcp.projects.IAMMember(
      `${name}-nodes-role`,
      { project, role: 'roles/container.defaultNodeServiceAccount', member: nodeAccount.member },
      parent,
    );

    const repository = new gcp.artifactregistry.Repository(
      `${name}-images`,
      {
        project,
        location: region,
        repositoryId: artifactRepositoryId(pulumi.getStack(), randomBytes(4).toString('hex')),
        format: 'DOCKER',
        description: `Images of the books-gateway stack ${pulumi.getStack()}`,
      },
      // The id is chosen once, when the repository is created, and kept: the random part differs
      // on every run, and a stack made before it existed keeps its `books-gateway-<stack>`.
      { parent: this, ignoreChanges: ['repositoryId'] },
    );
    const readAccess = new gcp.artifactregistry.RepositoryIamMember(
      `${name}-nodes-read`,
      { project, location: region, repository: repository.name, role: 'roles/artifactregistry.reader', member: nodeAccount.member },
      parent,
    );

    const cluster = new gcp.container.Cluster(
      `${name}-cluster`,
      {
        project,
        location: zone,
        network: network.id,
        subnetwork: subnetwork.id,
        // GKE cannot create a cluster without a node pool: it creates a default one, which is
        // removed at once in favour of the node pool below, whose settings stay under our control.
        removeDefaultNodePool: true,
        initialNodeCount: 1,
        // That short-lived default pool runs as the nodes' account too: by default it would run as
        // the project's default compute account, which many organisations disable (cluster
        // creation then fails) and which has Editor on the whole project.
        nodeConfig: { serviceAccount: nodeAccount.email, oauthScopes: ['https://www.googleapis.com/auth/cloud-platform'] },
        deletionProtection: args.deletionProtection ?? false,
        minMasterVersion: args.kubernetesVersion,
        networkingMode: 'VPC_NATIVE',
        ipAllocationPolicy: {
          clusterSecondaryRangeName: podRange.rangeName,
          servicesSecondaryRangeName: serviceRange.rangeName,
        },
        // Dataplane V2 enforces GatewayStack's NetworkPolicies; without it GKE ignores them.
        datapathProvider: 'ADVANCED_DATAPATH',
        workloadIdentityConfig: { workloadPool: `${project}.svc.id.goog` },
      },
      // Its default pool's nodes register with the account's role in place.
      { parent: this, dependsOn: [nodeRole] },
    );

    const nodePool = new gcp.container.NodePool(
      `${name}-nodes`,
      {
        project,
        cluster: cluster.id,
        location: zone,
        nodeCount: args.nodeCount,
        // Private nodes per pool: works on every current (Private Service Connect) cluster
        // without reserving a control-plane CIDR.
        networkConfig: { enablePrivateNodes: true },
        nodeConfig: {
          machineType: args.nodeSize ?? 'e2-standard-2',
          serviceAccount: nodeAccount.email,
          // Access is decided by the account's IAM roles; the legacy scopes would only narrow it.
          oauthScopes: ['https://www.googleapis.com/auth/cloud-platform'],
          workloadMetadataConfig: { mode: 'GKE_METADATA' },
          shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
        },
        management: { autoRepair: true, autoUpgrade: true },
      },
      { parent: this, dependsOn: [nodeRole] },
    );

    this.registryHost = `${region}-docker.pkg.dev`;
    // An OAuth access token of the identity running `pulumi up`, valid for an hour: enough for the pushes.
    const clientConfig = gcp.organizations.getClientConfigOutput(parent);
    this.registry = {
      repository: (image: ImageName) => pulumi.interpolate`${this.registryHost}/${project}/${repository.repositoryId}/${image}`,
      credentials: {
        address: this.registryHost,
        username: 'oauth2accesstoken',
        password: pulumi.secret(clientConfig.accessToken),
      },
      needsPullSecret: false,
    };

    this.kubeconfig = execKubeconfigSecret({
      name: cluster.name,
      server: pulumi.interpolate`https://${cluster.endpoint}`,
      certificateAuthorityData: cluster.masterAuth.clusterCaCertificate,
      exec: {
        command: 'gke-gcloud-auth-plugin',
        // The credentials the Google provider uses (application-default credentials, including
        // GOOGLE_APPLICATION_CREDENTIALS on CI), not gcloud's own CLI login, which the plugin
        // would use otherwise and which such a machine does not have.
        args: ['--use_application_default_credentials'],
        env: args.pluginEnvironment?.length ? args.pluginEnvironment : undefined,
        installHint: gkeAuthPluginInstallHint,
        provideClusterInfo: true,
      },
    });

    this.provider = clusterProvider(
      name,
      // Without read access to our images the first pods would fail ImagePull; the NAT is
      // ready first too, for any image from outside Google.
      { kubeconfig: this.kubeconfig, clusterIdentifier: cluster.id, readyWhen: [nodePool, readAccess, nat] },
      this,
    );
    this.clusterName = cluster.name;
    this.registerOutputs({ clusterName: this.clusterName, registry: this.registryHost });
  }
}

/**
 * The region's first zone in alphabetical order, so that it stays the same from one `pulumi up`
 * to the next (a changed zone would replace the cluster) even when a zone is briefly down.
 */
function firstZone(project: string, region: string, parent: pulumi.Resource): pulumi.Output<string> {
  return gcp.compute.getZonesOutput({ project, region }, { parent }).names.apply((names) => {
    const [zone] = [...names].sort();
    if (!zone) throw new Error(`Google Cloud lists no zones in region ${region}`);
    return zone;
  });
}

const repositoryIdPrefix = 'books-gateway-';

/**
 * Artifact Registry repository id for a new stack: ids are chosen by the caller, not generated,
 * and must be unique per project and region. The stack name alone is not: two people with local
 * backends may each have a `gke` stack in one project, and the second one's first `up` would fail
 * with 409 already exists. So the stack name (for people to read) and a random `suffix` (to be
 * unique). Lowercase letters, digits and hyphens, starting with a letter, at most 63 characters.
 */
export function artifactRepositoryId(stack: string, suffix: string): string {
  const room = 63 - repositoryIdPrefix.length - suffix.length - 1;
  const slug = stack
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, room)
    .replace(/^-+|-+$/g, '');
  return `${repositoryIdPrefix}${slug ? `${slug}-` : ''}${suffix}`;
}

const gkeAuthPluginInstallHint = 'Install gke-gcloud-auth-plugin: gcloud components install gke-gcloud-auth-plugin';

/** The `gke` target: reads and checks the stack config, then creates the cluster and its registry. */
export function createGkeTarget(): Target {
  const gcpConfig = new pulumi.Config('gcp');
  const project = requiredString(
    gcpConfig,
    'project',
    'the Google Cloud project the gke target creates its network, cluster and registry in',
    'my-project-id',
  );
  const region = requiredString(
    gcpConfig,
    'region',
    "the region of the gke target's subnetwork and Artifact Registry repository",
    'europe-west1',
  );
  const zone = optionalString(gcpConfig, 'zone');
  if (zone !== undefined && !zone.startsWith(`${region}-`)) {
    throw new pulumi.RunError(
      `${fullKey(gcpConfig, 'zone')} ${zone} is not in ${fullKey(gcpConfig, 'region')} ${region}. ` +
        `Set a zone of that region, e.g. ${setCommand(gcpConfig, 'zone', `${region}-b`)}, ` +
        "or remove it (pulumi config rm gcp:zone) to take the region's first zone",
    );
  }
  const nodePool = readNodePoolConfig({ pattern: /^\d+\.\d+(\.\d+(-gke\.\d+)?)?$/, example: '1.33' });
  const buildCache = readBuildCache(new pulumi.Config(), 'registry');
  const deletionProtection = readDeletionProtection(new pulumi.Config());
  const pluginEnvironment = readPluginEnvironment(gcpConfig);
  requireCommandForUp('gke-gcloud-auth-plugin', gkeAuthPluginInstallHint);

  const gke = new GkeCluster('books-gateway', { project, region, zone, deletionProtection, pluginEnvironment, ...nodePool });
  return cloudTarget(gke, buildCache);
}

/** `books-gateway:gkeDeletionProtection`: true or false, default false. */
function readDeletionProtection(config: pulumi.Config): boolean {
  const key = 'gkeDeletionProtection';
  const value = optionalString(config, key);
  if (value === undefined) return false;
  if (value !== 'true' && value !== 'false') {
    throw new pulumi.RunError(
      `${fullKey(config, key)} must be true or false, got "${value}". Set it with: ${setCommand(config, key, 'true')}`,
    );
  }
  return value === 'true';
}
