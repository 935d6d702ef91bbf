import assert from 'node:assert/strict';
import { runProgram, type ProgramRun } from '../../../scripts/capture/program-run.js';
import {
  assertDeploysThroughClusterProvider,
  assertFailsBeforeAnyResource,
  assertGatewayServiceKeepsClientAddress,
  assertImagesPushedTo,
  assertWaitsFor,
  assertTwoGatewaysSurviveANodeUpgrade,
} from '../shared/cloud-assertions.js';
import {
  awsAccountHost,
  ecrPassword,
  eks,
  eksCertificateAuthority,
  eksClusterArn,
  eksAddonVersion,
  eksDefaultVersion,
  eksEndpoint,
  withConfig,
} from '../shared/cloud-scenarios.js';
import { pathFixture } from '../shared/commands-on-path.js';

const clusterType = 'aws:eks/cluster:Cluster';
const nodeGroupType = 'aws:eks/nodeGroup:NodeGroup';
const subnetType = 'aws:ec2/subnet:Subnet';
const elbHostname = 'a1b2c3-123456789.eu-west-1.elb.amazonaws.com';

/** The managed policy names attached to a role (by the role's logical name). */
function policiesOf(run: ProgramRun, role: string): string[] {
  return run
    .ofType('aws:iam/rolePolicyAttachment:RolePolicyAttachment')
    .filter((a) => a.inputs.role === `${role}-x1y2z3`)
    .map((a) => a.inputs.policyArn.replace('arn:aws:iam::aws:policy/', ''))
    .sort();
}

describe('eks target', () => {
  // The kubeconfig runs `aws eks get-token`: on up, the target checks that it is there.
  const path = pathFixture();
  before(() => path.use(['aws']));
  after(() => path.restore());

  describe('with the default node group', () => {
    let run: ProgramRun;
    before(async () => {
      run = await runProgram({ ...eks, loadBalancerIngress: { hostname: elbHostname } });
    });

    it('builds a VPC with a public and a private subnet in each of two zones EKS supports', () => {
      assert.equal(run.ofType('aws:ec2/vpc:Vpc').length, 1);
      const subnets = run.ofType(subnetType).map((s) => ({
        name: s.name,
        zone: s.inputs.availabilityZone,
        elb: s.inputs.tags['kubernetes.io/role/elb'],
        internalElb: s.inputs.tags['kubernetes.io/role/internal-elb'],
      }));
      assert.deepEqual(subnets, [
        { name: 'books-gateway-public-0', zone: 'eu-west-1a', elb: '1', internalElb: undefined },
        { name: 'books-gateway-public-1', zone: 'eu-west-1b', elb: '1', internalElb: undefined },
        { name: 'books-gateway-private-0', zone: 'eu-west-1a', elb: undefined, internalElb: '1' },
        { name: 'books-gateway-private-1', zone: 'eu-west-1b', elb: undefined, internalElb: '1' },
      ]);
    });

    it('keeps the same zones when one degrades: it lists every zone, whatever its state', async () => {
      const asked: Record<string, unknown>[] = [];
      const listed = await runProgram({
        ...eks,
        call: (args) => {
          if (args.token === 'aws:index/getAvailabilityZones:getAvailabilityZones') asked.push(args.inputs);
          return eks.call?.(args);
        },
      });
      assert.equal(asked.length, 1);
      assert.equal(asked[0].state, undefined, 'a zone filtered out while degraded would shift the others and replace the subnets');
      const zones = listed.ofType(subnetType).map((s) => s.inputs.availabilityZone);
      assert.deepEqual(zones, ['eu-west-1a', 'eu-west-1b', 'eu-west-1a', 'eu-west-1b']);
    });

    it('routes the private subnets to the internet (and ECR) through a NAT gateway in a public subnet', () => {
      const nat = run.named('aws:ec2/natGateway:NatGateway', 'books-gateway-nat');
      assert.equal(nat.inputs.subnetId, 'books-gateway-public-0-id');
      assert.equal(nat.inputs.allocationId, 'books-gateway-nat-ip-id');
      const privateRoutes = run.named('aws:ec2/routeTable:RouteTable', 'books-gateway-private');
      assert.deepEqual(privateRoutes.inputs.routes, [{ cidrBlock: '0.0.0.0/0', natGatewayId: 'books-gateway-nat-id' }]);
      const associations = run
        .ofType('aws:ec2/routeTableAssociation:RouteTableAssociation')
        .filter((a) => a.inputs.routeTableId === 'books-gateway-private-id')
        .map((a) => a.inputs.subnetId)
        .sort();
      assert.deepEqual(associations, ['books-gateway-private-0-id', 'books-gateway-private-1-id']);
    });

    it('gives the cluster and the nodes roles with the managed policies EKS needs, ECR read-only included', () => {
      assert.deepEqual(policiesOf(run, 'books-gateway-cluster-role'), ['AmazonEKSClusterPolicy']);
      assert.deepEqual(policiesOf(run, 'books-gateway-node-role'), [
        'AmazonEC2ContainerRegistryReadOnly',
        'AmazonEKSWorkerNodePolicy',
        'AmazonEKS_CNI_Policy',
      ]);
    });

    it('creates the cluster with API authentication, in all four subnets, on the default version, which EKS may move', () => {
      const cluster = run.named(clusterType, 'books-gateway-cluster').inputs;
      assert.equal(cluster.accessConfig.authenticationMode, 'API');
      assert.equal(cluster.roleArn, 'arn:aws:iam::123456789012:role/books-gateway-cluster-role-x1y2z3');
      assert.equal(cluster.vpcConfig.subnetIds.length, 4);
      assert.equal(cluster.version, undefined);
      // No version in the program: when EKS upgrades it at the end of standard support, there is
      // no older one for the next up to ask back, and no extended support to pay for.
      assert.deepEqual(cluster.upgradePolicy, { supportType: 'STANDARD' });
    });

    it('turns on the VPC CNI network policy agent, so that the NetworkPolicies are enforced', () => {
      const addon = run.named('aws:eks/addon:Addon', 'books-gateway-vpc-cni').inputs;
      assert.equal(addon.addonName, 'vpc-cni');
      assert.deepEqual(JSON.parse(addon.configurationValues), { enableNetworkPolicy: 'true' });
    });

    it("runs the nodes and the add-ons at the control plane's version, those that run on nodes once the nodes are up", () => {
      assert.equal(run.named(nodeGroupType, 'books-gateway-nodes').inputs.version, eksDefaultVersion);
      const addons = run
        .ofType('aws:eks/addon:Addon')
        .map((a) => [a.inputs.addonName, a.inputs.addonVersion, a.inputs.resolveConflictsOnCreate]);
      assert.deepEqual(addons.sort(), [
        ['aws-ebs-csi-driver', eksAddonVersion('aws-ebs-csi-driver', eksDefaultVersion), 'OVERWRITE'],
        ['coredns', eksAddonVersion('coredns', eksDefaultVersion), 'OVERWRITE'],
        ['eks-pod-identity-agent', eksAddonVersion('eks-pod-identity-agent', eksDefaultVersion), 'OVERWRITE'],
        ['kube-proxy', eksAddonVersion('kube-proxy', eksDefaultVersion), 'OVERWRITE'],
        ['vpc-cni', eksAddonVersion('vpc-cni', eksDefaultVersion), 'OVERWRITE'],
      ]);
      for (const addon of ['coredns', 'eks-pod-identity-agent', 'aws-ebs-csi-driver']) {
        assertWaitsFor(run.named('aws:eks/addon:Addon', `books-gateway-${addon}`), ['books-gateway-nodes']);
      }
    });

    it("makes the database's volume an EBS gp3 disk, through the EBS CSI add-on and its own role, which every Kubernetes object waits for", () => {
      const driver = run.named('aws:eks/addon:Addon', 'books-gateway-aws-ebs-csi-driver');
      const role = run.named('aws:iam/role:Role', 'books-gateway-ebs-csi-role');
      assert.deepEqual(driver.inputs.podIdentityAssociations, [{ roleArn: role.state.arn, serviceAccount: 'ebs-csi-controller-sa' }]);
      assert.deepEqual(role.inputs.assumeRolePolicy.Statement, [
        { Effect: 'Allow', Principal: { Service: 'pods.eks.amazonaws.com' }, Action: ['sts:AssumeRole', 'sts:TagSession'] },
      ]);
      assert.deepEqual(
        run
          .ofType('aws:iam/rolePolicyAttachment:RolePolicyAttachment')
          .filter((a) => a.inputs.role === role.state.name)
          .map((a) => a.inputs.policyArn),
        ['arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy'],
      );
      assertWaitsFor(driver, ['books-gateway-eks-pod-identity-agent', 'books-gateway-ebs-csi-role-AmazonEBSCSIDriverPolicy']);
      const storageClass = run.named('kubernetes:storage.k8s.io/v1:StorageClass', 'database').inputs;
      assert.deepEqual(
        [storageClass.provisioner, storageClass.parameters, storageClass.volumeBindingMode, storageClass.reclaimPolicy],
        ['ebs.csi.aws.com', { type: 'gp3' }, 'WaitForFirstConsumer', 'Retain'],
      );
      assert.equal(
        run.named('kubernetes:core/v1:PersistentVolumeClaim', 'postgres-data').inputs.spec.storageClassName,
        'books-gateway-database',
      );
    });

    it('runs 2 t3.medium amd64 nodes in the private subnets, once their role and the NAT route exist', () => {
      const nodes = run.named(nodeGroupType, 'books-gateway-nodes').inputs;
      assert.deepEqual(nodes.scalingConfig, { desiredSize: 2, minSize: 2, maxSize: 2 });
      assert.deepEqual(nodes.instanceTypes, ['t3.medium']);
      assert.equal(nodes.amiType, 'AL2023_x86_64_STANDARD');
      assert.deepEqual(nodes.subnetIds, ['books-gateway-private-0-id', 'books-gateway-private-1-id']);
      assert.equal(nodes.nodeRoleArn, 'arn:aws:iam::123456789012:role/books-gateway-node-role-x1y2z3');
      assertWaitsFor(run.named(nodeGroupType, 'books-gateway-nodes'), [
        'books-gateway-private-0-routes',
        'books-gateway-private-1-routes',
        'books-gateway-node-role-AmazonEC2ContainerRegistryReadOnly',
      ]);
    });

    it('deploys every Kubernetes object through a provider on the new cluster, once the nodes are up', () => {
      assertDeploysThroughClusterProvider(run, {
        kubeconfig: run.outputs.kubeconfig,
        clusterIdentifier: eksClusterArn,
        readyWhen: [
          'books-gateway-nodes',
          'books-gateway-vpc-cni',
          'books-gateway-kube-proxy',
          'books-gateway-coredns',
          'books-gateway-eks-pod-identity-agent',
          'books-gateway-aws-ebs-csi-driver',
        ],
      });
      const kubeconfig = JSON.parse(run.outputs.kubeconfig);
      assert.equal(kubeconfig.clusters[0].cluster.server, eksEndpoint);
      assert.equal(kubeconfig.clusters[0].cluster['certificate-authority-data'], eksCertificateAuthority);
      const { exec } = kubeconfig.users[0].user;
      assert.equal(exec.command, 'aws');
      assert.deepEqual(exec.args, [
        'eks',
        'get-token',
        '--cluster-name',
        'books-gateway-cluster-x1y2z3',
        '--region',
        'eu-west-1',
        '--output',
        'json',
      ]);
      assert.equal(exec.env, null);
    });

    it('runs one gateway by default; with gatewayReplicas 2, two on different nodes, drained one at a time', async () => {
      assertTwoGatewaysSurviveANodeUpgrade(run, await runProgram(withConfig(eks, { gatewayReplicas: '2' })));
    });

    it("asks for an NLB for the gateway, which keeps the client's address where the default Classic ELB would not", () => {
      assertGatewayServiceKeepsClientAddress(run, { 'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb' });
      // Only the gateway's Service is a load balancer; the backends' carry no cloud annotations.
      for (const backend of ['books', 'books-react']) {
        assert.equal(run.named('kubernetes:core/v1:Service', backend).inputs.metadata.annotations, undefined);
      }
    });

    it('pushes linux/amd64 images to one ECR repository each, with an ECR authorization token', () => {
      const repositories = run
        .ofType('aws:ecr/repository:Repository')
        .map((r) => r.name)
        .sort();
      assert.deepEqual(repositories, ['books-gateway-books', 'books-gateway-books-react', 'books-gateway-gateway']);
      assertImagesPushedTo(run, {
        repository: (image) => `${awsAccountHost}/books-gateway-${image}-x1y2z3`,
        credentials: { address: awsAccountHost, username: 'AWS', password: ecrPassword },
      });
    });

    it('exports the kubeconfig as a secret, the cluster, the VPC and the registry, and the gateway URL by hostname', () => {
      assert.ok(run.secretOutputs.includes('kubeconfig'));
      assert.equal(run.outputs.clusterName, 'books-gateway-cluster-x1y2z3');
      assert.equal(run.outputs.vpcId, 'books-gateway-vpc-id');
      assert.equal(run.outputs.registry, awsAccountHost);
      assert.equal(run.outputs.gatewayUrl, `http://${elbHostname}`);
    });
  });

  it('creates the node group with the configured count, size and version, keeps that version on extended support, and signs tokens with aws:profile', async () => {
    const run = await runProgram(
      withConfig(eks, { nodeCount: '3', nodeSize: 't3.large', kubernetesVersion: '1.34', 'aws:profile': 'books' }),
    );
    const nodes = run.named(nodeGroupType, 'books-gateway-nodes').inputs;
    assert.deepEqual(nodes.scalingConfig, { desiredSize: 3, minSize: 3, maxSize: 3 });
    assert.deepEqual(nodes.instanceTypes, ['t3.large']);
    const cluster = run.named(clusterType, 'books-gateway-cluster').inputs;
    assert.equal(cluster.version, '1.34');
    // Pinned: EKS keeps it past standard support (at the extended price) instead of upgrading it
    // under the stack, whose next `up --refresh` would then ask for the older version back.
    assert.deepEqual(cluster.upgradePolicy, { supportType: 'EXTENDED' });
    // An upgrade moves the nodes and every managed add-on along with the control plane.
    assert.equal(nodes.version, '1.34');
    for (const addon of run.ofType('aws:eks/addon:Addon')) {
      assert.equal(addon.inputs.addonVersion, eksAddonVersion(addon.inputs.addonName, '1.34'), addon.name);
    }
    const { exec } = JSON.parse(run.outputs.kubeconfig).users[0].user;
    assert.deepEqual(exec.env, [{ name: 'AWS_PROFILE', value: 'books' }]);
  });

  describe('signs its tokens as the identity that created the cluster, its only admin', () => {
    const tokenCall = async (config: Record<string, string>, secretKeys: string[] = []) => {
      const run = await runProgram({ ...withConfig(eks, config), secretKeys });
      assert.ok(run.secretOutputs.includes('kubeconfig'));
      return { exec: JSON.parse(run.outputs.kubeconfig).users[0].user.exec, run };
    };

    it('assumes the last role of aws:assumeRoles, as the provider does', async () => {
      const roles = [
        { roleArn: 'arn:aws:iam::111111111111:role/hop' },
        { roleArn: 'arn:aws:iam::123456789012:role/deployer', sessionName: 'ci' },
      ];
      const { exec } = await tokenCall({ 'aws:assumeRoles': JSON.stringify(roles), 'aws:profile': 'base' });
      assert.deepEqual(exec.args.slice(-2), ['--role-arn', 'arn:aws:iam::123456789012:role/deployer']);
      assert.deepEqual(exec.env, [{ name: 'AWS_PROFILE', value: 'base' }]);
    });

    it('passes keys set in the stack on to get-token, inside the secret kubeconfig only', async () => {
      const { exec, run } = await tokenCall(
        { 'aws:accessKey': 'AKIAEXAMPLE', 'aws:secretKey': 'secret-key-value', 'aws:token': 'session-token-value' },
        ['aws:secretKey', 'aws:token'],
      );
      assert.deepEqual(exec.env, [
        { name: 'AWS_ACCESS_KEY_ID', value: 'AKIAEXAMPLE' },
        { name: 'AWS_SECRET_ACCESS_KEY', value: 'secret-key-value' },
        { name: 'AWS_SESSION_TOKEN', value: 'session-token-value' },
      ]);
      assert.doesNotMatch(JSON.stringify({ ...run.outputs, kubeconfig: undefined }), /secret-key-value|session-token-value/);
    });

    it('signs in with aws:assumeRoleWithWebIdentity (CI with OIDC federation), as the provider does', async () => {
      const webIdentity = {
        roleArn: 'arn:aws:iam::123456789012:role/ci',
        webIdentityTokenFile: '/var/run/ci/token',
        sessionName: 'ci-run',
        duration: '1h',
      };
      const { exec } = await tokenCall({ 'aws:assumeRoleWithWebIdentity': JSON.stringify(webIdentity) });
      assert.deepEqual(exec.env, [
        { name: 'AWS_ROLE_ARN', value: 'arn:aws:iam::123456789012:role/ci' },
        { name: 'AWS_WEB_IDENTITY_TOKEN_FILE', value: '/var/run/ci/token' },
        { name: 'AWS_ROLE_SESSION_NAME', value: 'ci-run' },
      ]);
    });

    it('reads the credentials and config files the provider reads, from aws:sharedCredentialsFiles and aws:sharedConfigFiles', async () => {
      const { exec } = await tokenCall({
        'aws:sharedCredentialsFiles': JSON.stringify(['/home/ci/.aws/credentials']),
        'aws:sharedConfigFiles': JSON.stringify(['/home/ci/.aws/config']),
        'aws:profile': 'deployer',
      });
      assert.deepEqual(exec.env, [
        { name: 'AWS_PROFILE', value: 'deployer' },
        { name: 'AWS_SHARED_CREDENTIALS_FILE', value: '/home/ci/.aws/credentials' },
        { name: 'AWS_CONFIG_FILE', value: '/home/ci/.aws/config' },
      ]);
    });

    it('fails before any resource for a web identity token given inline, which get-token cannot take, naming the key', async () => {
      await assertFailsBeforeAnyResource(
        withConfig(eks, {
          'aws:assumeRoleWithWebIdentity': JSON.stringify({ roleArn: 'arn:aws:iam::123456789012:role/ci', webIdentityToken: 'eyJ' }),
        }),
        /aws:assumeRoleWithWebIdentity gives the web identity token itself.*pulumi config set --path aws:assumeRoleWithWebIdentity\.webIdentityTokenFile/s,
      );
    });

    it('fails before any resource for a web identity without its role, naming the key', async () => {
      await assertFailsBeforeAnyResource(
        withConfig(eks, { 'aws:assumeRoleWithWebIdentity': JSON.stringify({ webIdentityTokenFile: '/var/run/ci/token' }) }),
        /aws:assumeRoleWithWebIdentity needs roleArn/,
      );
    });

    it('fails before any resource for several credentials files, of which get-token reads one', async () => {
      await assertFailsBeforeAnyResource(
        withConfig(eks, { 'aws:sharedCredentialsFiles': JSON.stringify(['/a/credentials', '/b/credentials']) }),
        /aws:sharedCredentialsFiles lists 2 files, and the kubeconfig's aws eks get-token reads one \(AWS_SHARED_CREDENTIALS_FILE\)/,
      );
    });

    it('fails before any resource for a role that needs an external ID, which get-token cannot pass', async () => {
      await assertFailsBeforeAnyResource(
        withConfig(eks, { 'aws:assumeRoles': JSON.stringify([{ roleArn: 'arn:aws:iam::123456789012:role/x', externalId: 'e' }]) }),
        /aws:assumeRoles asks for an external ID, which the kubeconfig's aws eks get-token cannot pass/,
      );
    });

    it('fails before any resource when only one of aws:accessKey and aws:secretKey is set', async () => {
      await assertFailsBeforeAnyResource(withConfig(eks, { 'aws:accessKey': 'AKIAEXAMPLE' }), /Missing config aws:secretKey/);
    });

    it('fails on up before the cluster is created when the aws CLI is missing', async () => {
      path.use([]);
      try {
        await assertFailsBeforeAnyResource(eks, /aws is not on the PATH.*https:\/\/aws\.amazon\.com\/cli\//s);
      } finally {
        path.use(['aws']);
      }
    });
  });

  describe('config errors, before any resource', () => {
    it('names aws:region and the command to set it when it is missing', async () => {
      await assertFailsBeforeAnyResource(
        withConfig(eks, { 'aws:region': undefined }),
        /aws:region.*pulumi config set aws:region eu-west-1/s,
      );
    });

    it('rejects a node count that is not a whole number', async () => {
      await assertFailsBeforeAnyResource(withConfig(eks, { nodeCount: 'two' }), /books-gateway:nodeCount must be a whole number/);
    });

    it('rejects a Kubernetes version with a patch level, which EKS does not take', async () => {
      await assertFailsBeforeAnyResource(withConfig(eks, { kubernetesVersion: '1.33.1' }), /books-gateway:kubernetesVersion "1\.33\.1"/);
    });
  });
});
