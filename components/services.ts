import type * as k8s from '@pulumi/kubernetes';
import { selectorLabels, workloadLabels } from './labels.js';
import type { Workload } from './workloads.js';

type ServiceSpec = k8s.types.input.core.v1.ServiceSpec;

/** A workload's Service: its pods, reached on `port` at their `http` container port. */
function serviceArgs(
  workload: Workload,
  namespace: string,
  port: number,
  spec: Omit<ServiceSpec, 'selector' | 'ports'>,
): k8s.core.v1.ServiceArgs {
  return {
    metadata: { name: workload.name, namespace, labels: workloadLabels(workload.name, workload.component, namespace) },
    spec: {
      ...spec,
      selector: selectorLabels(workload.name, namespace),
      ports: [{ name: 'http', port, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}

/**
 * A backend's Service: headless, so its DNS name answers with the ready pods' addresses and the
 * gateway keeps a connection pool per pod and retries on another pod, which one virtual
 * ClusterIP would hide from it. Reachable only inside the cluster.
 */
export function backendServiceArgs(workload: Workload, namespace: string): k8s.core.v1.ServiceArgs {
  return serviceArgs(workload, namespace, workload.port, { type: 'ClusterIP', clusterIP: 'None' });
}

/**
 * The gateway's Service: a LoadBalancer, the system's only public entry. `Local` traffic policy
 * keeps the client's address (the gateway's logs and per-client limits need it) and saves a hop
 * between nodes; load balancers send traffic only to nodes running a gateway pod.
 */
export function gatewayServiceArgs(workload: Workload, namespace: string, port: number): k8s.core.v1.ServiceArgs {
  return serviceArgs(workload, namespace, port, { type: 'LoadBalancer', externalTrafficPolicy: 'Local' });
}

/** One entry of a Service's `status.loadBalancer.ingress`. */
export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
}

/**
 * The URL clients use, from the load balancer's first address: a hostname where the cloud gives
 * one (EKS, Docker Desktop's `localhost`), else an IP (AKS, GKE, K3s). Undefined until assigned.
 */
export function gatewayUrl(ingress: LoadBalancerIngress[] | undefined, port: number): string | undefined {
  const first = ingress?.[0];
  const host = first?.hostname || first?.ip;
  if (!host) return undefined;
  const bracketed = host.includes(':') ? `[${host}]` : host;
  return `http://${bracketed}${port === 80 ? '' : `:${port}`}`;
}
