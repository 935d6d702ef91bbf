import type * as k8s from '@pulumi/kubernetes';
import { selectorLabels, workloadLabels } from './labels.js';
import type { GatewayAddress } from './target.js';
import type { Workload } from './workloads.js';

type ServiceSpec = k8s.types.input.core.v1.ServiceSpec;

/** A Service port sent to the pods' `http` container port. */
function servicePort(name: 'http' | 'https', port: number): k8s.types.input.core.v1.ServicePort {
  return { name, port, targetPort: 'http', protocol: 'TCP' };
}

/** A workload's Service: its pods, reached on `port` at their `http` container port. */
function serviceArgs(
  workload: Workload,
  namespace: string,
  port: k8s.types.input.core.v1.ServicePort,
  spec: Omit<ServiceSpec, 'selector' | 'ports'>,
  annotations: Record<string, string> = {},
): k8s.core.v1.ServiceArgs {
  const labels = workloadLabels(workload.name, workload.component, namespace);
  return {
    // No empty annotations block: it would be a change to every existing Service.
    metadata: { name: workload.name, namespace, labels, annotations: Object.keys(annotations).length ? annotations : undefined },
    spec: { ...spec, selector: selectorLabels(workload.name, namespace), ports: [port] },
  };
}

/**
 * A backend's Service: headless, so its DNS name answers with the ready pods' addresses and the
 * gateway keeps a connection pool per pod and retries on another pod, which one virtual
 * ClusterIP would hide from it. Reachable only inside the cluster.
 */
export function backendServiceArgs(workload: Workload, namespace: string): k8s.core.v1.ServiceArgs {
  return serviceArgs(workload, namespace, servicePort('http', workload.port), { type: 'ClusterIP', clusterIP: 'None' });
}

/** Where clients reach the gateway: its Service port, and whether the gateway speaks HTTPS there. */
export interface PublicEndpoint {
  port: number;
  tls: boolean;
}

/**
 * The gateway's Service: a LoadBalancer, the system's only public entry, with one port. With TLS
 * the gateway's public port speaks HTTPS (the renderer adds `ssl` to its listen), so the Service
 * offers that port alone (443 by default) rather than a plain HTTP port no client could use.
 * The status port (health, metrics) is never on it. `Local` traffic policy
 * keeps the client's address (the gateway's logs and per-client limits need it) and saves a hop
 * between nodes; load balancers send traffic only to nodes running a gateway pod. `annotations`
 * come from the target: where the cloud's default load balancer would replace the client's
 * address with its own, they ask for one that does not.
 */
export function gatewayServiceArgs(
  workload: Workload,
  namespace: string,
  endpoint: PublicEndpoint,
  annotations: Record<string, string>,
  address: GatewayAddress,
): k8s.core.v1.ServiceArgs {
  const port = servicePort(endpoint.tls ? 'https' : 'http', endpoint.port);
  // The Kubernetes provider waits for a LoadBalancer Service's address, ten minutes and then
  // fails: only where the cloud assigns one. The gateway's pods are awaited through their Deployment.
  const awaited: Record<string, string> = address.kind === 'awaited' ? {} : { [skipAwaitAnnotation]: 'true' };
  return serviceArgs(workload, namespace, port, { type: 'LoadBalancer', externalTrafficPolicy: 'Local' }, { ...annotations, ...awaited });
}

/** The Kubernetes provider's annotation that creates or updates an object without waiting for it. */
export const skipAwaitAnnotation = 'pulumi.com/skipAwait';

/** One entry of a Service's `status.loadBalancer.ingress`. */
export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
}

function urlOf(host: string, endpoint: PublicEndpoint): string {
  const bracketed = host.includes(':') ? `[${host}]` : host;
  const [scheme, defaultPort] = endpoint.tls ? ['https', 443] : ['http', 80];
  return `${scheme}://${bracketed}${endpoint.port === defaultPort ? '' : `:${endpoint.port}`}`;
}

/**
 * The URL clients use, from the load balancer's first address: a hostname where the cloud gives
 * one (EKS, Docker Desktop's `localhost`), else an IP (AKS, GKE, K3s). Undefined until assigned.
 */
export function gatewayUrl(ingress: LoadBalancerIngress[] | undefined, endpoint: PublicEndpoint): string | undefined {
  const first = ingress?.[0];
  const host = first?.hostname || first?.ip;
  return host ? urlOf(host, endpoint) : undefined;
}

/**
 * What the stack's gatewayUrl says: the URL at the published host, or from the Service's status;
 * where a cluster has given the Service no address (yet), how to find it, and how to reach the
 * gateway without one.
 */
export function gatewayAccess(
  address: GatewayAddress,
  ingress: LoadBalancerIngress[] | undefined,
  endpoint: PublicEndpoint,
  namespace: string,
): string | undefined {
  if (address.kind === 'published') return urlOf(address.host, endpoint);
  const url = gatewayUrl(ingress, endpoint);
  if (url || address.kind === 'awaited') return url;
  const local = 8080;
  return (
    `The cluster has given the gateway Service no load-balancer address yet: \`kubectl -n ${namespace} get service gateway\` shows it once it has one, ` +
    `and \`pulumi refresh\` then puts it here. Without one: \`kubectl -n ${namespace} port-forward service/gateway ${local}:${endpoint.port}\` ` +
    `serves the gateway at ${urlOf('127.0.0.1', { ...endpoint, port: local })}`
  );
}
