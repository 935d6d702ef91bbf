import type * as k8s from '@pulumi/kubernetes';
import { systemLabels } from './labels.js';

/**
 * The system's namespace. Pod Security Admission enforces the `restricted` standard on it, so a
 * pod that loses its hardening is refused by the cluster rather than run.
 */
export function namespaceArgs(namespace: string): k8s.core.v1.NamespaceArgs {
  return {
    metadata: {
      name: namespace,
      labels: {
        ...systemLabels(namespace),
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
        'pod-security.kubernetes.io/warn': 'restricted',
        'pod-security.kubernetes.io/audit': 'restricted',
      },
    },
  };
}
