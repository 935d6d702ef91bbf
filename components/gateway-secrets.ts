import type * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { renderGatewaySecrets, type GatewayRenderInput, type GatewaySecretsInput } from '../apps/gateway/src/index.js';
import { workloadLabels } from './labels.js';
import { workloads } from './workloads.js';

/*
 * The gateway's key material (JWT keys, API key digests, TLS certificate and key): rendered by
 * the gateway renderer into the files of its secrets folder, mounted from a Kubernetes Secret.
 * The files are rendered from plaintext, synchronously, so that a bad JWKS or a key that does
 * not match its certificate fails before the first resource is registered; the plaintext only
 * ever leaves this module inside `pulumi.secret`, and no message quotes it.
 */

export type SecretField = keyof GatewaySecretsInput;

/** Every field of GatewaySecretsInput, to recognise one at the start of a renderer error. */
const fieldNames: Record<SecretField, true> = {
  jwks: true,
  hmacSecret: true,
  apiKeys: true,
  tlsCertificate: true,
  tlsKey: true,
};

/**
 * The secrets folder's files. The renderer prefixes its errors with the input field at fault
 * (`jwks: key 0 ...`); the message is re-thrown under the name the user knows it by.
 */
export function renderSecretFiles(
  input: GatewaySecretsInput,
  settings: Pick<GatewayRenderInput, 'auth' | 'tls'>,
  nameOf: (field: SecretField) => string,
): Record<string, string> {
  if (input.tlsCertificate !== undefined && input.tlsKey !== undefined) {
    assertTlsPair(input.tlsCertificate, input.tlsKey, nameOf);
  }
  try {
    return renderGatewaySecrets(input, settings);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const field = /^(\w+): /.exec(message)?.[1];
    if (field !== undefined && field in fieldNames) {
      throw new pulumi.RunError(`${nameOf(field as SecretField)}: ${message.slice(field.length + 2)}`);
    }
    throw new pulumi.RunError(`The gateway's secrets are not valid: ${message}`);
  }
}

/**
 * nginx only finds out at start that a certificate cannot be read or does not belong to its key,
 * and then a new gateway pod never becomes ready: find out now.
 */
function assertTlsPair(certificate: string, key: string, nameOf: (field: SecretField) => string): void {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(certificate);
  } catch {
    throw new pulumi.RunError(`${nameOf('tlsCertificate')} is not a PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new pulumi.RunError(
      `${nameOf('tlsKey')} is not an unencrypted PEM private key (nginx cannot be given a passphrase here)`,
    );
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new pulumi.RunError(`${nameOf('tlsKey')} is not the private key of the first certificate in ${nameOf('tlsCertificate')}`);
  }
}

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
