import type * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { RegistryCredentials } from './target.js';
import { systemLabels } from './labels.js';

/** Name of the image pull Secret the pods refer to. */
export const pullSecretName = 'registry-credentials';

/** Docker Hub's credentials live under its v1 index URL in a Docker config, not under `docker.io`. */
function dockerConfigServer(address: string): string {
  return address === 'docker.io' ? 'https://index.docker.io/v1/' : address;
}

/** The `.dockerconfigjson` document the kubelet reads pull credentials from. */
export function dockerConfigJson(address: string, username: string, password: string): string {
  const auth = Buffer.from(`${username}:${password}`).toString('base64');
  return JSON.stringify({ auths: { [dockerConfigServer(address)]: { username, password, auth } } });
}

/** The image pull Secret for a registry the nodes cannot pull from by their own identity. */
export function pullSecretArgs(namespace: string, credentials: RegistryCredentials): k8s.core.v1.SecretArgs {
  const config = pulumi
    .all([credentials.address, credentials.username, credentials.password])
    .apply(([address, username, password]) => dockerConfigJson(address, username, password));
  return {
    metadata: { name: pullSecretName, namespace, labels: systemLabels(namespace) },
    type: 'kubernetes.io/dockerconfigjson',
    stringData: { '.dockerconfigjson': pulumi.secret(config) },
  };
}
