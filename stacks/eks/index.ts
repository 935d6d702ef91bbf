import * as aws from '@pulumi/aws';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { readBuildCache } from '../shared/build-cache-config.js';
import { readNodePoolConfig } from '../shared/node-pool-config.js';
import { type CloudCluster, cloudTarget, clusterProvider } from '../shared/cloud-cluster.js';
import { execKubeconfigSecret } from '../shared/cloud-kubeconfig.js';
import { requiredString } from '../config/stack-config.js';
import { requireCommandForUp } from '../shared/command-on-path.js';
import { awsCliInstallHint, type AwsIdentity, getTokenExec, readAwsIdentity } from './aws-identity.js';
import { EksNetwork } from './network.js';
import type { ImageName } from '../../components/target.js';
import type { ImageRegistry, Target, VolumeProvisioner } from '../../components/target.js';

/**
 * The gateway's Service as a Network Load Balancer. EKS's service controller otherwise makes a
 * Classic ELB, whose TCP listeners connect to the nodes from the ELB's own addresses: the gateway
 * would see every client as one of those (one shared rate limit, no client address in the logs).
 * An NLB with instance targets, with the Service's `externalTrafficPolicy: Local`, passes the
 * client's address through.
 */
export const nlbServiceAnnotations: Readonly<Record<string, string>> = {
  'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb',
};

/** AWS managed policies, by role. */
const eksClusterPolicies = ['AmazonEKSClusterPolicy'];
const eksNodePolicies = [
  'AmazonEKSWorkerNodePolicy',
  // The VPC CNI (aws-node) runs with the node's role here, not with its own IRSA role.
  'AmazonEKS_CNI_Policy',
  // Nodes pull the images from ECR with their own role: no pull secret in the cluster.
  'AmazonEC2ContainerRegistryReadOnly',
];

/**
 * The cluster's support policy. Unpinned, STANDARD: at the end of a version's standard support
 * EKS upgrades the control plane itself, and the stack follows (the node group and add-ons take
 * the cluster's version). Pinned, EXTENDED: under STANDARD, EKS would upgrade a pinned control
 * plane just the same, and the next `pulumi up --refresh` would then ask EKS for the older pinned
 * version back, which it refuses; EXTENDED keeps the version the stack asks for, at the extended
 * support price ($0.60 instead of $0.10 an hour) only while that version is past standard support.
 */
function upgradeSupportType(kubernetesVersion: string | undefined): 'STANDARD' | 'EXTENDED' {
  return kubernetesVersion === undefined ? 'STANDARD' : 'EXTENDED';
}

export interface EksClusterArgs {
  /** AWS region (`aws:region`), e.g. `eu-west-1`; the kubeconfig asks for tokens there. */
  region: string;
  /** Whom the kubeconfig's `aws eks get-token` signs as: the provider's own identity. Default: the CLI's default. */
  identity?: AwsIdentity;
  /** Nodes in the managed node group, at least 1. */
  nodeCount: number;
  /** EC2 instance type of the nodes. Default `t3.medium` (2 vCPU, 4 GiB, up to 17 pods). */
  nodeSize?: string;
  /** Kubernetes version, `1.33`, kept on EKS's extended support policy. Default: EKS's current default version, which EKS moves. */
  kubernetesVersion?: string;
}

/**
 * An EKS cluster ready for GatewayStack: its VPC, the cluster and node IAM roles, the cluster
 * (API access entries, NetworkPolicies enforced by the VPC CNI), a managed node group in the
 * private subnets, one ECR repository per image, and the Kubernetes provider for the new cluster.
 */
export class EksCluster extends pulumi.ComponentResource implements CloudCluster {
  readonly provider: k8s.Provider;
  readonly registry: ImageRegistry;
  /** `<account>.dkr.ecr.<region>.amazonaws.com`. */
  readonly registryHost: pulumi.Output<string>;
  readonly clusterName: pulumi.Output<string>;
  readonly vpcId: pulumi.Output<string>;
  readonly kubeconfig: pulumi.Output<string>;
  readonly volumeProvisioner: VolumeProvisioner;

  constructor(name: string, args: EksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super('books-gateway:cloud:EksCluster', name, {}, opts);
    const parent = { parent: this };

    const network = new EksNetwork(name, parent);
    const clusterRole = this.serviceRole(`${name}-cluster-role`, 'eks.amazonaws.com', eksClusterPolicies);
    const nodeRole = this.serviceRole(`${name}-node-role`, 'ec2.amazonaws.com', eksNodePolicies);

    const cluster = new aws.eks.Cluster(
      `${name}-cluster`,
      {
        roleArn: clusterRole.role.arn,
        version: args.kubernetesVersion,
        vpcConfig: {
          subnetIds: [...network.privateSubnetIds, ...network.publicSubnetIds],
          endpointPublicAccess: true,
          // Nodes talk to the API inside the VPC instead of through the NAT gateway.
          endpointPrivateAccess: true,
        },
        // Access entries only, no aws-auth ConfigMap. The IAM identity that runs `pulumi up`
        // becomes cluster admin: it is the identity whose `aws eks get-token` the kubeconfig uses.
        accessConfig: { authenticationMode: 'API', bootstrapClusterCreatorAdminPermissions: true },
        upgradePolicy: { supportType: upgradeSupportType(args.kubernetesVersion) },
      },
      { parent: this, dependsOn: clusterRole.attachments },
    );

    /*
     * The cluster's networking add-ons as EKS managed add-ons, each at EKS's default version for
     * the cluster's Kubernetes version: raising `kubernetesVersion` upgrades the control plane,
     * then each add-on (which EKS would otherwise leave at the versions it first installed, as
     * self-managed ones). Creating them takes over the self-managed ones EKS installs.
     */
    const addon = (addonName: string, extra: Partial<aws.eks.AddonArgs> = {}, dependsOn: pulumi.Resource[] = []) =>
      new aws.eks.Addon(
        `${name}-${addonName}`,
        {
          clusterName: cluster.name,
          addonName,
          addonVersion: aws.eks.getAddonVersionOutput({ addonName, kubernetesVersion: cluster.version }, parent).version,
          resolveConflictsOnCreate: 'OVERWRITE',
          resolveConflictsOnUpdate: 'OVERWRITE',
          ...extra,
        },
        { parent: this, dependsOn },
      );
    // GatewayStack's NetworkPolicies are only enforced when the VPC CNI's policy agent is on; the
    // CNI EKS installs by default has it off and would silently ignore them.
    const vpcCni = addon('vpc-cni', { configurationValues: JSON.stringify({ enableNetworkPolicy: 'true' }) });
    const kubeProxy = addon('kube-proxy');

    const nodeGroup = new aws.eks.NodeGroup(
      `${name}-nodes`,
      {
        clusterName: cluster.name,
        nodeRoleArn: nodeRole.role.arn,
        subnetIds: network.privateSubnetIds,
        // The control plane's version (the one set, or EKS's default): raising kubernetesVersion
        // upgrades the nodes after the control plane, a node at a time (maxUnavailable below).
        version: cluster.version,
        instanceTypes: [args.nodeSize ?? 't3.medium'],
        amiType: 'AL2023_x86_64_STANDARD',
        scalingConfig: { desiredSize: args.nodeCount, minSize: args.nodeCount, maxSize: args.nodeCount },
        updateConfig: { maxUnavailable: 1 },
      },
      // Nodes bootstrap by pulling from ECR: they need their policies and the NAT route first.
      { parent: this, dependsOn: [...nodeRole.attachments, ...network.privateEgress, vpcCni] },
    );
    // CoreDNS runs on the nodes: as an add-on it becomes active only once they are there.
    const coreDns = addon('coredns', {}, [nodeGroup]);
    const volumes = this.volumeDriver(name, addon, nodeGroup);

    const repository = (image: ImageName) =>
      new aws.ecr.Repository(
        `${name}-${image}`,
        // forceDelete: `pulumi destroy` removes a repository together with the pushed images.
        { forceDelete: true, imageScanningConfiguration: { scanOnPush: true } },
        parent,
      );
    const repositories: Record<ImageName, aws.ecr.Repository> = {
      gateway: repository('gateway'),
      books: repository('books'),
      'books-react': repository('books-react'),
    };
    // A token valid for 12 hours, fetched on every `pulumi up`: long enough for the image pushes.
    const token = aws.ecr.getAuthorizationTokenOutput({}, parent);
    this.registryHost = token.proxyEndpoint.apply((endpoint) => endpoint.replace(/^https:\/\//, ''));
    this.registry = {
      repository: (image: ImageName) => repositories[image].repositoryUrl,
      credentials: {
        address: this.registryHost,
        username: token.userName,
        password: pulumi.secret(token.password),
      },
      needsPullSecret: false,
    };

    this.kubeconfig = execKubeconfigSecret({
      name: cluster.name,
      server: cluster.endpoint,
      certificateAuthorityData: cluster.certificateAuthority.data,
      exec: cluster.name.apply((clusterName) => pulumi.output(getTokenExec(clusterName, args.region, args.identity ?? {}))),
    });

    this.provider = clusterProvider(
      name,
      // The gateway resolves its backends through cluster DNS, and its load balancer answers
      // through the public subnets' routes. Waiting for all of the network also has `pulumi
      // destroy` delete the gateway's Service, and so its load balancer, before any of it.
      {
        kubeconfig: this.kubeconfig,
        clusterIdentifier: cluster.arn,
        // The EBS driver too: the database's claim is made through it and, on `destroy`, deleted
        // through it before it goes.
        readyWhen: [nodeGroup, vpcCni, kubeProxy, coreDns, ...volumes, ...network.publicIngress],
      },
      this,
    );
    this.volumeProvisioner = {
      provisioner: 'ebs.csi.aws.com',
      parameters: { type: 'gp3' },
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: true,
    };
    this.clusterName = cluster.name;
    this.vpcId = network.vpcId;
    this.registerOutputs({ clusterName: this.clusterName, vpcId: this.vpcId });
  }

  /**
   * The EBS CSI driver, as the EKS add-on, with the identity it makes volumes as: EKS has had no
   * volume provisioner of its own since 1.23 (the in-tree one went) and no default StorageClass
   * since 1.30, so the database's claim would stay Pending forever without it. The driver's
   * controller gets its role through EKS Pod Identity (its agent, another add-on, runs on every
   * node), with AWS's policy for the driver and nothing else.
   */
  private volumeDriver(
    name: string,
    addon: (addonName: string, extra?: Partial<aws.eks.AddonArgs>, dependsOn?: pulumi.Resource[]) => aws.eks.Addon,
    nodeGroup: aws.eks.NodeGroup,
  ): aws.eks.Addon[] {
    const podIdentityAgent = addon('eks-pod-identity-agent', {}, [nodeGroup]);
    const driverRole = this.serviceRole(
      `${name}-ebs-csi-role`,
      'pods.eks.amazonaws.com',
      ['service-role/AmazonEBSCSIDriverPolicy'],
      ['sts:AssumeRole', 'sts:TagSession'],
    );
    const driver = addon(
      'aws-ebs-csi-driver',
      { podIdentityAssociations: [{ roleArn: driverRole.role.arn, serviceAccount: 'ebs-csi-controller-sa' }] },
      [nodeGroup, podIdentityAgent, ...driverRole.attachments],
    );
    return [podIdentityAgent, driver];
  }

  /** An IAM role that an AWS service assumes (with `actions`), with AWS managed policies attached. */
  private serviceRole(name: string, service: string, policies: string[], actions: string[] = ['sts:AssumeRole']) {
    const role = new aws.iam.Role(
      name,
      {
        assumeRolePolicy: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: actions.length === 1 ? actions[0] : actions }],
        },
      },
      { parent: this },
    );
    const attachments = policies.map(
      (policy) =>
        new aws.iam.RolePolicyAttachment(
          `${name}-${policy.split('/').pop()}`,
          { role: role.name, policyArn: `arn:aws:iam::aws:policy/${policy}` },
          { parent: this },
        ),
    );
    return { role, attachments };
  }
}

/** The `eks` target: reads and checks the stack config, then creates the cluster and its registry. */
export function createEksTarget(): Target {
  const awsConfig = new pulumi.Config('aws');
  const region = requiredString(
    awsConfig,
    'region',
    'the AWS region the eks target creates its VPC, cluster and ECR repositories in',
    'eu-west-1',
  );
  const identity = readAwsIdentity(awsConfig);
  const nodePool = readNodePoolConfig({ pattern: /^\d+\.\d+$/, example: '1.33' });
  const buildCache = readBuildCache(new pulumi.Config(), 'registry');
  requireCommandForUp('aws', awsCliInstallHint);

  const eks = new EksCluster('books-gateway', { region, identity, ...nodePool });
  return { ...cloudTarget(eks, buildCache, { vpcId: eks.vpcId }), gatewayServiceAnnotations: { ...nlbServiceAnnotations } };
}
