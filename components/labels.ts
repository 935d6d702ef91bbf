import type { ImageName } from './target.js';

/** The system's name in the `app.kubernetes.io/part-of` label. */
export const systemName = 'books-gateway';

/** The three images' workloads, and the PostgreSQL the cluster runs from its official image. */
export type WorkloadName = ImageName | 'postgres';

/**
 * The labels that select a workload's pods: stable for the Deployment's lifetime (a selector is
 * immutable), and distinct per namespace so two stacks on one cluster never select each other.
 */
export function selectorLabels(workload: WorkloadName, instance: string): Record<string, string> {
  return { 'app.kubernetes.io/name': workload, 'app.kubernetes.io/instance': instance };
}

/** Kubernetes' recommended labels (app.kubernetes.io/*) for a workload's objects and pods. */
export function workloadLabels(workload: WorkloadName, component: string, instance: string): Record<string, string> {
  return {
    ...selectorLabels(workload, instance),
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': systemName,
    'app.kubernetes.io/managed-by': 'pulumi',
  };
}

/** Labels of objects that belong to the whole system rather than one workload. */
export function systemLabels(instance: string): Record<string, string> {
  return {
    'app.kubernetes.io/instance': instance,
    'app.kubernetes.io/part-of': systemName,
    'app.kubernetes.io/managed-by': 'pulumi',
  };
}
