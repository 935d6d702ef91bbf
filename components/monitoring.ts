import type * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { metricsPath } from '../apps/gateway/src/index.js';
import { selectorLabels, systemLabels } from './labels.js';
import { metricsPort } from './prometheus-scrape.js';
import { assertDnsLabel, assertLabels } from './validation.js';
import { workloads } from './workloads.js';

/*
 * The gateway's metrics for a Prometheus Operator and a Grafana with the dashboard sidecar (as
 * kube-prometheus-stack installs them). The pods' `prometheus.io/*` annotations serve a Prometheus
 * configured to discover pods by them; the Operator ignores annotations and scrapes what a
 * PodMonitor selects, and Grafana's sidecar loads dashboards from ConfigMaps carrying its label.
 */

/** The monitoring settings; GatewayStack's arguments and the stack config keys share these names. */
export interface MonitoringArgs {
  /**
   * Create a PodMonitor (monitoring.coreos.com/v1) selecting the gateway pods' metrics port, for
   * the Prometheus Operator; the cluster must have its CRD. Default false.
   */
  podMonitor?: boolean;
  /**
   * Labels added to the PodMonitor, for a Prometheus that selects PodMonitors by label
   * (kube-prometheus-stack's: `release: <its Helm release>`). Only with `podMonitor`. Default none.
   */
  podMonitorLabels?: Record<string, string>;
  /** Create a ConfigMap holding dashboards/gateway.json, labelled for Grafana's sidecar. Default false. */
  grafanaDashboard?: boolean;
  /**
   * Namespace of the dashboard's ConfigMap, which must exist: the one Grafana's sidecar watches
   * when it watches only its own. Only with `grafanaDashboard`. Default: the system's namespace.
   */
  grafanaDashboardNamespace?: string;
}

export type MonitoringSetting = keyof MonitoringArgs;

/** What GatewayStack creates for monitoring, every setting checked. */
export interface MonitoringSettings {
  /** The PodMonitor's extra labels; undefined: no PodMonitor. */
  podMonitor?: { labels: Record<string, string> };
  /** The dashboard ConfigMap's namespace; undefined: no dashboard. */
  grafanaDashboard?: { namespace?: string };
}

/** The label Grafana's dashboard sidecar finds dashboards by (kube-prometheus-stack's default). */
export const grafanaDashboardLabel = { grafana_dashboard: '1' } as const;

/** The dashboard the repository ships, relative to the source root. */
export const dashboardFile = 'dashboards/gateway.json';

/**
 * Checks the monitoring settings; `nameOf` names a setting as the user knows it (an argument, or
 * `books-gateway:podMonitorLabels`). A detail set without its switch is refused: it would do
 * nothing, silently.
 */
export function resolveMonitoring(args: MonitoringArgs, nameOf: (setting: MonitoringSetting) => string): MonitoringSettings {
  const detailWithoutSwitch = (detail: MonitoringSetting, toggle: MonitoringSetting) =>
    new pulumi.RunError(
      `${nameOf(detail)} is set but ${nameOf(toggle)} is not true: set ${nameOf(toggle)} to true, or remove ${nameOf(detail)}`,
    );
  if (args.podMonitorLabels !== undefined && !args.podMonitor) throw detailWithoutSwitch('podMonitorLabels', 'podMonitor');
  if (args.grafanaDashboardNamespace !== undefined && !args.grafanaDashboard)
    throw detailWithoutSwitch('grafanaDashboardNamespace', 'grafanaDashboard');
  const namespace = args.grafanaDashboardNamespace;
  return {
    podMonitor: args.podMonitor ? { labels: assertLabels(nameOf('podMonitorLabels'), args.podMonitorLabels ?? {}) } : undefined,
    grafanaDashboard: args.grafanaDashboard
      ? { namespace: namespace === undefined ? undefined : assertDnsLabel(nameOf('grafanaDashboardNamespace'), namespace) }
      : undefined,
  };
}

/** The name of the gateway container's port that serves the metrics: a PodMonitor selects ports by name. */
function metricsPortName(): string {
  const ports = workloads.gateway.otherPorts ?? {};
  const name = Object.keys(ports).find((port) => ports[port] === metricsPort);
  if (name === undefined) throw new Error(`the gateway container names no port ${metricsPort}, where it serves its metrics`);
  return name;
}

/** The PodMonitor's body: the shape of monitoring.coreos.com/v1's, as far as it is used here. */
export interface PodMonitorArgs {
  apiVersion: 'monitoring.coreos.com/v1';
  kind: 'PodMonitor';
  metadata: k8s.types.input.meta.v1.ObjectMeta;
  spec: {
    selector: { matchLabels: Record<string, string> };
    namespaceSelector: { matchNames: string[] };
    podMetricsEndpoints: Array<{ port: string; path: string }>;
  };
}

/** A PodMonitor, in the system's namespace, scraping each gateway pod's status port at /metrics. */
export function podMonitorArgs(namespace: string, labels: Record<string, string>): PodMonitorArgs {
  const gateway = workloads.gateway;
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: { name: gateway.name, namespace, labels: { ...systemLabels(namespace), ...labels } },
    spec: {
      selector: { matchLabels: selectorLabels(gateway.name, namespace) },
      namespaceSelector: { matchNames: [namespace] },
      podMetricsEndpoints: [{ port: metricsPortName(), path: metricsPath }],
    },
  };
}

/**
 * The dashboard as a ConfigMap for Grafana's sidecar, named after the system's namespace so that
 * stacks of several namespaces can put theirs into Grafana's one. The sidecar writes each key as a
 * file; Grafana knows the dashboard by its `uid`, so one Grafana shows one of them.
 */
export function dashboardConfigMapArgs(systemNamespace: string, namespace: string, dashboard: string): k8s.core.v1.ConfigMapArgs {
  return {
    metadata: {
      name: `${systemNamespace}-dashboard`,
      namespace,
      labels: { ...systemLabels(systemNamespace), ...grafanaDashboardLabel },
    },
    data: { [`${systemNamespace}-dashboard.json`]: dashboard },
  };
}

/** The dashboard's JSON, read from the source root (it is a file of the repository, not code). */
export function readDashboard(sourceRoot: string): string {
  return fs.readFileSync(path.join(sourceRoot, dashboardFile), 'utf8');
}
