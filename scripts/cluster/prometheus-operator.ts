import * as path from 'node:path';
import { moduleSource } from './build/go-build.js';

/*
 * The Prometheus Operator's resource definitions, for a cluster that must accept the PodMonitor
 * a stack with `podMonitor` makes (test/cluster/pod-monitor.test.ts installs it). They come from
 * the operator's Go module, which the module proxy serves and the Go module cache keeps: no
 * container registry or chart repository is needed.
 */

/** The release whose CRDs are installed: the one kube-prometheus-stack ships at the time of writing. */
export const prometheusOperatorModule = { path: 'github.com/prometheus-operator/prometheus-operator', version: 'v0.85.0' } as const;

/** The PodMonitor CRD's YAML file, downloaded into the Go module cache when missing. */
export async function podMonitorCrdFile(): Promise<string> {
  const source = await moduleSource(prometheusOperatorModule.path, prometheusOperatorModule.version);
  return path.join(source, 'example', 'prometheus-operator-crd', 'monitoring.coreos.com_podmonitors.yaml');
}
