import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/**
 * Availability zones where EKS refuses cluster subnets (zone ids are the same in every account,
 * unlike zone names). Taking the first two zones of us-east-1 would otherwise sometimes fail.
 */
const eksUnsupportedZoneIds = ['use1-az3', 'usw1-az2', 'cac1-az3'];

/**
 * Address plan of the VPC, one public and one private subnet per zone, in two zones: the fewest
 * EKS accepts for a cluster, and enough to survive losing one. Private subnets are large because
 * the VPC CNI gives every pod an address of its node's subnet; public subnets only hold the NAT
 * gateway and load balancers.
 */
const vpcCidr = '10.0.0.0/16';
const zonePlans = [
  { publicCidr: '10.0.0.0/20', privateCidr: '10.0.128.0/18' },
  { publicCidr: '10.0.16.0/20', privateCidr: '10.0.192.0/18' },
];

/**
 * A VPC for an EKS cluster: in each of two zones a public subnet (load balancers, tagged
 * `kubernetes.io/role/elb` so that a LoadBalancer Service finds it) and a private subnet (the
 * nodes). Private nodes reach ECR, and the rest of the internet, through one NAT gateway: one
 * instead of one per zone saves about US$33 a month, at the price of losing egress while its zone
 * is down.
 */
export class EksNetwork extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly publicSubnetIds: pulumi.Output<string>[];
  readonly privateSubnetIds: pulumi.Output<string>[];
  /** Ready when private subnets route to the NAT gateway: nodes cannot join the cluster before. */
  readonly privateEgress: pulumi.Resource[];
  /**
   * Ready when the public subnets route to the internet gateway: an internet-facing load balancer
   * there answers no client before.
   */
  readonly publicIngress: pulumi.Resource[];

  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super('books-gateway:cloud:EksNetwork', name, {}, opts);
    const parent = { parent: this };

    // Every zone of the region whatever its state, in alphabetical order: the same two zones on
    // every `pulumi up`. Filtered on `available`, a degraded zone would drop out of the list, shift
    // the others, and replace the subnets, the node group and the cluster (as gke's firstZone).
    const zones = aws.getAvailabilityZonesOutput(
      {
        // Local and Wavelength zones need an opt-in and do not host EKS control planes.
        filters: [{ name: 'opt-in-status', values: ['opt-in-not-required'] }],
        excludeZoneIds: eksUnsupportedZoneIds,
      },
      parent,
    );
    const zoneName = (index: number) =>
      zones.names.apply((names) => {
        if (names.length < zonePlans.length) {
          throw new Error(`EKS needs ${zonePlans.length} availability zones, this region offers ${names.join(', ') || 'none'}`);
        }
        return [...names].sort()[index];
      });

    const vpc = new aws.ec2.Vpc(
      `${name}-vpc`,
      // Nodes resolve the cluster's private API endpoint by DNS.
      { cidrBlock: vpcCidr, enableDnsSupport: true, enableDnsHostnames: true, tags: { Name: name } },
      parent,
    );
    const subnet = (kind: 'public' | 'private', index: number, cidrBlock: string, roleTag: string) =>
      new aws.ec2.Subnet(
        `${name}-${kind}-${index}`,
        {
          vpcId: vpc.id,
          cidrBlock,
          availabilityZone: zoneName(index),
          tags: { Name: `${name}-${kind}-${index}`, [roleTag]: '1' },
        },
        parent,
      );
    const publicSubnets = zonePlans.map((plan, i) => subnet('public', i, plan.publicCidr, 'kubernetes.io/role/elb'));
    const privateSubnets = zonePlans.map((plan, i) => subnet('private', i, plan.privateCidr, 'kubernetes.io/role/internal-elb'));

    const internetGateway = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: { Name: name } }, parent);
    const publicRoutes = new aws.ec2.RouteTable(
      `${name}-public`,
      { vpcId: vpc.id, routes: [{ cidrBlock: '0.0.0.0/0', gatewayId: internetGateway.id }], tags: { Name: `${name}-public` } },
      parent,
    );
    const natAddress = new aws.ec2.Eip(`${name}-nat-ip`, { domain: 'vpc', tags: { Name: name } }, parent);
    const natGateway = new aws.ec2.NatGateway(
      `${name}-nat`,
      { subnetId: publicSubnets[0].id, allocationId: natAddress.id, tags: { Name: name } },
      { parent: this, dependsOn: [internetGateway] },
    );
    const privateRoutes = new aws.ec2.RouteTable(
      `${name}-private`,
      { vpcId: vpc.id, routes: [{ cidrBlock: '0.0.0.0/0', natGatewayId: natGateway.id }], tags: { Name: `${name}-private` } },
      parent,
    );
    const associate = (subnets: aws.ec2.Subnet[], table: aws.ec2.RouteTable, kind: string) =>
      subnets.map(
        (s, i) => new aws.ec2.RouteTableAssociation(`${name}-${kind}-${i}-routes`, { subnetId: s.id, routeTableId: table.id }, parent),
      );
    this.publicIngress = associate(publicSubnets, publicRoutes, 'public');
    this.privateEgress = associate(privateSubnets, privateRoutes, 'private');

    this.vpcId = vpc.id;
    this.publicSubnetIds = publicSubnets.map((s) => s.id);
    this.privateSubnetIds = privateSubnets.map((s) => s.id);
    this.registerOutputs({ vpcId: this.vpcId });
  }
}
