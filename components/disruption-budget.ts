import type * as k8s from '@pulumi/kubernetes';
import { selectorLabels, workloadLabels } from './labels.js';
import type { Workload } from './workloads.js';

/**
 * A PodDisruptionBudget for a workload with several replicas: a node drain or cluster upgrade
 * evicts its pods one at a time. None for a single replica, where a budget would only block
 * drains forever; undefined then.
 */
export function disruptionBudgetArgs(
  workload: Workload,
  namespace: string,
  replicas: number,
): k8s.policy.v1.PodDisruptionBudgetArgs | undefined {
  if (replicas < 2) return undefined;
  return {
    metadata: { name: workload.name, namespace, labels: workloadLabels(workload.name, workload.component, namespace) },
    spec: {
      maxUnavailable: 1,
      selector: { matchLabels: selectorLabels(workload.name, namespace) },
      // A pod that is not ready serves nothing: evicting it must not wait for it to recover.
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  };
}
