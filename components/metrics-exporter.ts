import type * as k8s from '@pulumi/kubernetes';
import { gatewayPorts, stubStatusPath } from '../apps/gateway/src/index.js';
import { containerSecurityContext } from './deployment.js';

/*
 * The nginx Prometheus exporter, a sidecar of every gateway pod: it reads nginx's stub_status
 * over the pod's loopback on the gateway's status port (never public) and serves it as
 * Prometheus metrics on its own port, which only the cluster reaches (the gateway's network
 * policy admits it; the LoadBalancer Service does not expose it).
 */

export const metricsExporter = {
  name: 'metrics-exporter',
  /** Pinned by digest: the tag alone could be moved to other contents. */
  image:
    'nginx/nginx-prometheus-exporter:1.5.1@sha256:9f6d963bb2b19d706d401cc3e2c3ea8de2f1c471b96a2156ca45e76f650b1625',
  /** Its container port, named `metrics`. */
  port: 9113,
  path: '/metrics',
  /** The image's user (it is built `FROM scratch` with `USER 1001`). */
  user: 1001,
} as const;

/** nginx's stub_status, on the gateway's status port, over the pod's loopback. */
export const stubStatusUrl = `http://127.0.0.1:${gatewayPorts.status}${stubStatusPath}`;

/** The annotations Prometheus' usual Kubernetes pod discovery config scrapes by. */
export const prometheusScrapeAnnotations: Readonly<Record<string, string>> = {
  'prometheus.io/scrape': 'true',
  'prometheus.io/port': String(metricsExporter.port),
  'prometheus.io/path': metricsExporter.path,
};

/** The exporter container, scraping the gateway's stub_status. */
export function metricsExporterContainer(): k8s.types.input.core.v1.Container {
  // A TCP check, not GET /metrics: every GET makes the exporter scrape nginx, and a pod whose
  // nginx is briefly busy must not lose its exporter (or, through readiness, its traffic).
  const listening = { tcpSocket: { port: 'metrics' }, timeoutSeconds: 2 };
  return {
    name: metricsExporter.name,
    image: metricsExporter.image,
    imagePullPolicy: 'IfNotPresent',
    args: [
      `--nginx.scrape-uri=${stubStatusUrl}`,
      `--web.listen-address=:${metricsExporter.port}`,
      `--web.telemetry-path=${metricsExporter.path}`,
    ],
    ports: [{ name: 'metrics', containerPort: metricsExporter.port, protocol: 'TCP' }],
    readinessProbe: { ...listening, periodSeconds: 10, failureThreshold: 3 },
    livenessProbe: { ...listening, periodSeconds: 20, failureThreshold: 3 },
    resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '64Mi' } },
    // The pod runs as nginx's user; the exporter keeps its own image's user.
    securityContext: { ...containerSecurityContext(), runAsUser: metricsExporter.user, runAsGroup: metricsExporter.user },
  };
}
