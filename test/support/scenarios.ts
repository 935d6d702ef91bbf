/** Stack configs of the two targets that bring their own cluster, as the tests run them. */
import type { GatewayTestKeys } from './gateway-keys.js';
import type { ProgramRun, RegisteredResource, RunOptions } from '../../scripts/capture/program-run.js';

export const k3sKubeconfig = `apiVersion: v1
kind: Config
clusters:
  - name: pi
    cluster:
      certificate-authority-data: Y2E=
      server: https://192.168.1.10:6443
contexts:
  - name: pi
    context: { cluster: pi, user: admin }
current-context: pi
users:
  - name: admin
    user: { token: s3cr3t-token }
`;

/** The kubeconfig of a kind cluster, its API server on a local port. */
export const kindKubeconfig = k3sKubeconfig.replace('https://192.168.1.10:6443', 'https://127.0.0.1:40123');

export const dockerDesktop: RunOptions = {
  config: { target: 'docker-desktop' },
  // Docker Desktop publishes LoadBalancer Services on localhost.
  loadBalancerIngress: { hostname: 'localhost' },
};

export const k3s: RunOptions = {
  config: {
    target: 'k3s',
    kubeconfig: k3sKubeconfig,
    imageRegistry: 'ghcr.io/acme',
    registryUsername: 'acme-bot',
    registryPassword: 'ghp_registrytoken',
  },
  secretKeys: ['kubeconfig', 'registryPassword'],
  // ServiceLB reports the addresses of the nodes.
  loadBalancerIngress: { ip: '192.168.1.21' },
};

export const imageNames = ['gateway', 'books', 'books-react'] as const;

/** API keys of the secured scenario: client name to key. */
export const testApiKeys = { 'inventory-sync': 'inv-sync-4f9c2a7e1b3d5f60a8c9e2d1' };

/**
 * docker-desktop with every gateway setting: JWT (RS256 and ES256 keys), API keys, tighter
 * limits, CORS origins, a smaller body limit and TLS; the credentials set as secrets.
 */
export function securedDockerDesktop(keys: GatewayTestKeys): RunOptions {
  return {
    ...dockerDesktop,
    config: {
      target: 'docker-desktop',
      jwtJwks: keys.jwks,
      jwtIssuer: 'https://auth.example.com/',
      jwtAudience: 'books-api',
      apiKeys: JSON.stringify(testApiKeys),
      rateLimitPerSecond: '5',
      rateLimitBurst: '10',
      connectionsPerClient: '4',
      corsOrigins: 'https://books.example.com, http://localhost:5173',
      maxBodySize: '256k',
      forwardCredentials: 'true',
      tlsCertificate: keys.tlsCertificate,
      tlsKey: keys.tlsKey,
    },
    secretKeys: ['jwtJwks', 'apiKeys', 'tlsCertificate', 'tlsKey'],
  };
}

/**
 * The Secrets a run registered besides the database's (PostgreSQL's password and the books pods'
 * URL), which every stack has: the image pull Secret and the gateway's, whose presence the tests
 * check.
 */
export function secretsBesidesDatabase(run: Pick<ProgramRun, 'ofType'>): RegisteredResource[] {
  return run.ofType('kubernetes:core/v1:Secret').filter((secret) => !['postgres-credentials', 'books-database'].includes(secret.name));
}

/** The Kubernetes objects a run placed in a namespace: all but the Namespace and the cluster's own (StorageClass). */
export function namespaced(run: Pick<ProgramRun, 'kubernetesObjects'>): RegisteredResource[] {
  const clusterScoped = ['kubernetes:core/v1:Namespace', 'kubernetes:storage.k8s.io/v1:StorageClass'];
  return run.kubernetesObjects().filter((object) => !clusterScoped.includes(object.type));
}
