import type * as k8s from '@pulumi/kubernetes';
import { selectorLabels, systemLabels } from './labels.js';
import { postgres } from './postgres.js';
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

/** Cluster DNS, on the ports it answers: what a pod needs to resolve a Service or a host name. */
const clusterDnsEgress = {
  to: [clusterDns],
  ports: [
    { protocol: 'UDP', port: 53 },
    { protocol: 'TCP', port: 53 },
  ],
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
export function gatewayPolicyArgs(gateway: Workload, backends: Workload[], namespace: string, metricsPort: number): NetworkPolicyArgs {
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
        clusterDnsEgress,
      ],
    },
  };
}

/**
 * Where the books pods' database is: the in-cluster PostgreSQL's pods, or an existing
 * database's addresses (CIDRs) and port.
 */
export type DatabaseReach = { kind: 'in-cluster' } | { kind: 'external'; cidrs: string[]; port: number };

/** The in-cluster PostgreSQL accepts connections on its port from the books pods only. */
export function postgresPolicyArgs(books: Workload, namespace: string): NetworkPolicyArgs {
  return {
    metadata: { name: `${postgres.name}-from-books`, namespace, labels: systemLabels(namespace) },
    spec: {
      podSelector: { matchLabels: selectorLabels(postgres.name, namespace) },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [{ podSelector: { matchLabels: selectorLabels(books.name, namespace) } }],
          ports: [{ protocol: 'TCP', port: postgres.port }],
        },
      ],
    },
  };
}

/**
 * The books pods may reach their database and cluster DNS (its name), and nothing else: not the
 * page, not the gateway, not the internet.
 */
export function booksEgressPolicyArgs(books: Workload, database: DatabaseReach, namespace: string): NetworkPolicyArgs {
  const databaseEgress =
    database.kind === 'in-cluster'
      ? {
          to: [{ podSelector: { matchLabels: selectorLabels(postgres.name, namespace) } }],
          ports: [{ protocol: 'TCP', port: postgres.port }],
        }
      : { to: database.cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: 'TCP', port: database.port }] };
  return {
    metadata: { name: `${books.name}-egress`, namespace, labels: systemLabels(namespace) },
    spec: {
      podSelector: { matchLabels: selectorLabels(books.name, namespace) },
      policyTypes: ['Egress'],
      egress: [databaseEgress, clusterDnsEgress],
    },
  };
}
