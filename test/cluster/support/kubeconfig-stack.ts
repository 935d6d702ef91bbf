import type { RunningCluster } from './cluster-process.js';

/**
 * The config of a kubeconfig-target stack on the single-node cluster, as an operator deploys to
 * kind or minikube: its own namespace, its images pushed to the cluster's registry and built on
 * the stand-ins there, the gateway on a port of its own (the dev stack's suite holds 80), and a
 * load balancer that follows pods within a second.
 */
export function kubeconfigStackConfig(cluster: RunningCluster, namespace: string, gatewayPort: number): Record<string, string> {
  return {
    target: 'kubeconfig',
    kubeContext: 'docker-desktop',
    namespace,
    imageRegistry: `${cluster.registry}/books-gateway`,
    imagePlatform: 'linux/amd64',
    baseImages: cluster.baseImages,
    postgresImage: cluster.postgresImage,
    gatewayServicePort: String(gatewayPort),
    loadBalancerSettleSeconds: '5',
  };
}
