import { gatewayPorts, metricsPath } from '../apps/gateway/src/index.js';

/*
 * Prometheus scrapes nginx itself: the gateway serves its metrics (per route, and nginx's
 * connection counters under the names nginx-prometheus-exporter used) on its status port, which
 * only the cluster reaches (the gateway's network policy admits it; the LoadBalancer Service does
 * not expose it). No exporter sidecar: one endpoint serves everything.
 */

/** The gateway container's port Prometheus scrapes: the status port (health and metrics). */
export const metricsPort = gatewayPorts.status;

/** The annotations Prometheus' usual Kubernetes pod discovery config scrapes by. */
export const prometheusScrapeAnnotations: Readonly<Record<string, string>> = {
  'prometheus.io/scrape': 'true',
  'prometheus.io/port': String(metricsPort),
  'prometheus.io/path': metricsPath,
};
