/** Stack configs of the two targets that bring their own cluster, as the tests run them. */
import type { RunOptions } from './harness.js';

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
    gatewayServicePort: '8080',
  },
  secretKeys: ['kubeconfig', 'registryPassword'],
  // ServiceLB reports the addresses of the nodes.
  loadBalancerIngress: { ip: '192.168.1.21' },
};

export const imageNames = ['gateway', 'books', 'books-react'] as const;
