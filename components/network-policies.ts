import type * as k8s from '@pulumi/kubernetes';
import { selectorLabels, systemLabels } from './labels.js';
import type { Workload } from './workloads.js';

type NetworkPolicyArgs = k8s.networking.v1.NetworkPolicyArgs;

/**
 * Cluster DNS pods (CoreDNS or kube-dns carry this label on Docker Desktop, K3s, AKS, EKS and
 * GKE), which the gateway asks for its backends' addresses.
 */
const clusterDns = {
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
  podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
};

/** Nothing reaches or leaves any pod of the namespace unless a policy below allows it. */
export function defaultDenyPolicyArgs(namespace: string): NetworkPolicyArgs {
  return {
    metadata: { name: 'default-deny', namespace, labels: systemLabels(namespace) },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  };
}

/** A backend accepts traffic on its port from the gateway's pods only. */
export function backendPolicyArgs(backend: Workload, gateway: Workload, namespace: string): NetworkPolicyArgs {
  return {
    metadata: { name: `${backend.name}-from-gateway`, namespace, labels: systemLabels(namespace) },
    spec: {
      podSelector: { matchLabels: selectorLabels(backend.name, namespace) },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [{ podSelector: { matchLabels: selectorLabels(gateway.name, namespace) } }],
          ports: [{ protocol: 'TCP', port: backend.port }],
        },
      ],
    },
  };
}

/**
 * The gateway accepts clients from anywhere on its public port, and Prometheus on its status
 * port (metrics and health) from pods of any namespace of the cluster (wherever Prometheus runs)
 * but not from outside it. It may reach only the backends' ports and cluster DNS.
 */
export function gatewayPolicyArgs(
  gateway: Workload,
  backends: Workload[],
  namespace: string,
  metricsPort: number,
): NetworkPolicyArgs {
  return {
    metadata: { name: gateway.name, namespace, labels: systemLabels(namespace) },
    spec: {
      podSelector: { matchLabels: selectorLabels(gateway.name, namespace) },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        { ports: [{ protocol: 'TCP', port: gateway.port }] },
        { from: [{ namespaceSelector: {} }], ports: [{ protocol: 'TCP', port: metricsPort }] },
      ],
      egress: [
        ...backends.map((backend) => ({
          to: [{ podSelector: { matchLabels: selectorLabels(backend.name, namespace) } }],
          ports: [{ protocol: 'TCP', port: backend.port }],
        })),
        {
          to: [clusterDns],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
      ],
    },
  };
}
