/**
 * What the three clouds would answer, for running the aks, eks and gke targets under the shared
 * mocks harness: the state their providers compute (names, endpoints, identities) and the results
 * of the invokes the targets make (credentials, zones, tokens). Values are recognisable fakes so a
 * test can tell which one ended up where.
 */
import type { MockCallArgs, MockResourceArgs } from '@pulumi/pulumi/runtime';
import type { RunOptions } from '../../../scripts/capture/program-run.js';

// ---- AKS ----

export const azureSubscriptionId = '00000000-1111-2222-3333-444444444444';
/** The principal (object) id Entra ID gives a new user-assigned identity. */
export const principalIdOf = (identity: string) => `${identity}-principal-id`;
export const acrLoginServer = 'booksgatewayx1y2z3.azurecr.io';
/** The deploying identity's Entra ID access token, which the aks target exchanges for an ACR push token. */
export const entraAccessToken = 'entra-access-token';
export const azureTenantId = 'tenant';
/** The kubeconfig AKS returns (base64-encoded in the invoke result). */
export const aksKubeconfig = [
  'apiVersion: v1',
  'kind: Config',
  'clusters:',
  '- name: books-gateway-cluster',
  '  cluster:',
  '    server: https://books-gateway-x1y2z3.hcp.westeurope.azmk8s.io:443',
  'current-context: books-gateway-cluster',
  '',
].join('\n');

export const aks: RunOptions = {
  config: { target: 'aks', 'azure-native:location': 'westeurope' },
  resourceState: ({ type, name }: MockResourceArgs) => {
    switch (type) {
      case 'azure-native:resources:ResourceGroup':
        return { name: `${name}x1y2z3` };
      case 'azure-native:containerservice:ManagedCluster':
        return { name: `${name}x1y2z3` };
      case 'azure-native:managedidentity:UserAssignedIdentity':
        return { principalId: principalIdOf(name), clientId: `${name}-client-id` };
      case 'azure-native:containerregistry:Registry':
        return { name: 'booksgatewayx1y2z3', loginServer: acrLoginServer };
      default:
        return undefined;
    }
  },
  call: ({ token }: MockCallArgs) => {
    switch (token) {
      case 'azure-native:authorization:getClientConfig':
        return { subscriptionId: azureSubscriptionId, tenantId: azureTenantId, clientId: 'client', objectId: 'operator' };
      case 'azure-native:authorization:getClientToken':
        return { token: entraAccessToken };
      case 'azure-native:containerservice:listManagedClusterUserCredentials':
        return { kubeconfigs: [{ name: 'clusterUser', value: Buffer.from(aksKubeconfig).toString('base64') }] };
      default:
        return undefined;
    }
  },
};

// ---- EKS ----

export const awsAccountHost = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
export const eksClusterArn = 'arn:aws:eks:eu-west-1:123456789012:cluster/books-gateway-cluster-x1y2z3';
export const eksEndpoint = 'https://ABCDEF0123456789.gr7.eu-west-1.eks.amazonaws.com';
export const eksCertificateAuthority = Buffer.from('eks-ca').toString('base64');
export const ecrPassword = 'ecr-token';
/** The version EKS gives a cluster created without one. */
export const eksDefaultVersion = '1.33';
/** The default version EKS reports for an add-on on a Kubernetes version. */
export const eksAddonVersion = (addon: string, kubernetesVersion: string) => `v-${addon}-for-${kubernetesVersion}-eksbuild.1`;

export const eks: RunOptions = {
  config: { target: 'eks', 'aws:region': 'eu-west-1' },
  resourceState: ({ type, name, inputs }: MockResourceArgs) => {
    switch (type) {
      case 'aws:eks/cluster:Cluster':
        return {
          name: `${name}-x1y2z3`,
          version: inputs.version ?? eksDefaultVersion,
          arn: eksClusterArn,
          endpoint: eksEndpoint,
          certificateAuthority: { data: eksCertificateAuthority },
        };
      case 'aws:iam/role:Role':
        return { name: `${name}-x1y2z3`, arn: `arn:aws:iam::123456789012:role/${name}-x1y2z3` };
      case 'aws:ecr/repository:Repository':
        return { repositoryUrl: `${awsAccountHost}/${name}-x1y2z3` };
      default:
        return undefined;
    }
  },
  call: ({ token, inputs }: MockCallArgs) => {
    switch (token) {
      case 'aws:eks/getAddonVersion:getAddonVersion':
        return { version: eksAddonVersion(inputs.addonName, inputs.kubernetesVersion) };
      case 'aws:index/getAvailabilityZones:getAvailabilityZones':
        // Listed out of order, as an API may: the target must still pick eu-west-1a and eu-west-1b.
        return { names: ['eu-west-1c', 'eu-west-1b', 'eu-west-1a'], zoneIds: ['euw1-az3', 'euw1-az2', 'euw1-az1'] };
      case 'aws:ecr/getAuthorizationToken:getAuthorizationToken':
        return { userName: 'AWS', password: ecrPassword, proxyEndpoint: `https://${awsAccountHost}`, expiresAt: '' };
      default:
        return undefined;
    }
  },
};

// ---- GKE ----

export const gkeEndpoint = '198.51.100.20';
export const gkeCertificateAuthority = Buffer.from('gke-ca').toString('base64');
export const gcpAccessToken = 'gcp-access-token';
export const nodeAccountEmail = 'books-gateway-nodes-x1y2z3@my-project.iam.gserviceaccount.com';
/** Listed out of order, as an API may: the target must still pick europe-west1-b. */
const europeWest1Zones = ['europe-west1-d', 'europe-west1-c', 'europe-west1-b'];

export const gke: RunOptions = {
  config: { target: 'gke', 'gcp:project': 'my-project', 'gcp:region': 'europe-west1' },
  resourceState: ({ type, name, inputs }: MockResourceArgs) => {
    switch (type) {
      case 'gcp:container/cluster:Cluster':
        return { name: `${name}-x1y2z3`, endpoint: gkeEndpoint, masterAuth: { clusterCaCertificate: gkeCertificateAuthority } };
      case 'gcp:serviceaccount/account:Account':
        return { email: nodeAccountEmail, member: `serviceAccount:${nodeAccountEmail}` };
      case 'gcp:artifactregistry/repository:Repository':
        return { name: inputs.repositoryId };
      case 'gcp:compute/router:Router':
        return { name: `${name}-x1y2z3` };
      default:
        return undefined;
    }
  },
  call: ({ token }: MockCallArgs) => {
    switch (token) {
      case 'gcp:compute/getZones:getZones':
        return { names: europeWest1Zones };
      case 'gcp:organizations/getClientConfig:getClientConfig':
        return { accessToken: gcpAccessToken, project: 'my-project', region: 'europe-west1', zone: '' };
      default:
        return undefined;
    }
  },
};

/** A scenario with more config (overrides) or less (a key left out). */
export function withConfig(scenario: RunOptions, config: Record<string, string | undefined>): RunOptions {
  const merged = { ...scenario.config, ...config };
  return {
    ...scenario,
    config: Object.fromEntries(Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined)),
  };
}
