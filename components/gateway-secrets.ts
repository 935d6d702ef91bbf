import type * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { workloadLabels } from './labels.js';
import { workloads } from './workloads.js';

/*
 * The gateway's key material (JWT keys, API key digests, TLS certificate and key), mounted from a
 * Kubernetes Secret. Its files come rendered, in plaintext, with the policy (readGatewayPolicy,
 * which checked every key before the first resource); they leave this module only inside
 * `pulumi.secret`.
 */

/**
 * The Secret holding the files, immutable. Unlike the ConfigMap it is not named after a
 * checksum of its contents: a digest of key material in a name anyone may list would let a
 * weak key be guessed offline. It has no fixed name instead: Pulumi names it `gateway-secrets-`
 * and a random suffix, and replaces it (a new name) whenever its contents change, which changes
 * the pod template and rolls the gateway pods onto the new files.
 */
export function gatewaySecretArgs(namespace: string, files: Record<string, string>): k8s.core.v1.SecretArgs {
  const gateway = workloads.gateway;
  return {
    metadata: { namespace, labels: workloadLabels(gateway.name, gateway.component, namespace) },
    type: 'Opaque',
    immutable: true,
    stringData: pulumi.secret(files),
  };
}

/** Replace, never update, the Secret: even where a provider is set to update Secrets in place. */
export const gatewaySecretOptions: pulumi.CustomResourceOptions = { replaceOnChanges: ['stringData'] };
