import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { fullKey, optionalString, requiredString, setCommand } from '../config/stack-config.js';
import { kubeconfigCurrentContext } from './kubeconfig-context.js';
import { parseImageRegistry } from './registry-address.js';
import type { ImageName } from '../../components/target.js';
import type { ImageRegistry, RegistryCredentials } from '../../components/target.js';

/*
 * What the targets whose cluster already exists and whose images go to the stack's own registry
 * (k3s, kubeconfig) share: the Kubernetes provider for that cluster, and the registry, both read
 * and checked before the first resource is registered.
 */

/** How the provider reaches the cluster: a kubeconfig from the stack, a context, or both. */
export interface ClusterConnection {
  /** Kubeconfig contents (a stack secret); undefined uses the machine's own (~/.kube/config, $KUBECONFIG). */
  kubeconfig?: string;
  /** Context inside that kubeconfig; undefined takes its current context. */
  context?: string;
  /**
   * `books-gateway:clusterName`: the name the stack knows its cluster by, set to move the stack
   * to another cluster on purpose. Undefined: the cluster the stack was first deployed to.
   */
  clusterName?: string;
}

/**
 * The provider's `clusterIdentifier`, which alone decides whether the provider, and with it every
 * object deployed through it, is replaced: the provider is replaced exactly when it changes. With
 * `clusterName`, that name; without, the context the stack first deployed through, kept by
 * `ignoreChanges` (below), so that editing the kubeconfig (a rotated token, the server moved from
 * an IP to a DNS name or to an HA address) updates the provider and replaces nothing. A stack made
 * before `clusterName` existed keeps the identifier it has (its API servers and context) the same
 * way.
 */
function clusterIdentity(name: string, { kubeconfig, context, clusterName }: ClusterConnection): string {
  const cluster = clusterName ?? context ?? (kubeconfig === undefined ? undefined : kubeconfigCurrentContext(kubeconfig));
  return cluster === undefined ? name : `${name}|${cluster}`;
}

/**
 * The provider for an existing cluster (see clusterIdentity). An unreachable cluster fails `up`,
 * `refresh` and `destroy` with the provider's "unreachable" message and the state keeps every
 * object: a context missing from the kubeconfig or an expired login must not read as a cluster
 * that is gone (`deleteUnreachable` would drop a running system from the state). A cluster that
 * really is gone is forgotten on purpose, as docs/operating.md says.
 */
export function existingClusterProvider(name: string, connection: ClusterConnection): k8s.Provider {
  const { kubeconfig, context, clusterName } = connection;
  return new k8s.Provider(
    name,
    {
      kubeconfig: kubeconfig === undefined ? undefined : pulumi.secret(kubeconfig),
      context,
      clusterIdentifier: clusterIdentity(name, connection),
    },
    clusterName === undefined ? { ignoreChanges: ['clusterIdentifier'] } : {},
  );
}

/** The stack's `imageRegistry` and its optional credentials. */
export interface StackRegistry {
  registry: ImageRegistry;
  /** `imageRegistry` as set, without a trailing slash: a stack output. */
  repositoryPrefix: string;
}

/**
 * `imageRegistry` (required; `purpose` says what for), with `registryUsername` and
 * `registryPassword`. The nodes of such a cluster have no identity a registry knows: a private
 * registry needs an image pull Secret made from the same credentials.
 */
export function readStackRegistry(config: pulumi.Config, purpose: string): StackRegistry {
  const address = parseImageRegistry(fullKey(config, 'imageRegistry'), requiredString(config, 'imageRegistry', purpose, 'ghcr.io/acme'));
  const credentials = readCredentials(config, address.host);
  return {
    registry: {
      repository: (image: ImageName) => `${address.repositoryPrefix}/${image}`,
      credentials,
      needsPullSecret: credentials !== undefined,
    },
    repositoryPrefix: address.repositoryPrefix,
  };
}

/** `registryUsername` and `registryPassword`: both or neither (a public or already-trusted registry). */
function readCredentials(config: pulumi.Config, address: string): RegistryCredentials | undefined {
  const username = optionalString(config, 'registryUsername');
  const password = optionalString(config, 'registryPassword');
  if (username === undefined && password === undefined) return undefined;
  if (username === undefined || password === undefined) {
    const missing = username === undefined ? 'registryUsername' : 'registryPassword';
    throw new pulumi.RunError(
      `Missing config ${fullKey(config, missing)}: registry credentials need both registryUsername and registryPassword. ` +
        `Set it with: ${setCommand(config, missing, missing === 'registryPassword' ? '<token>' : '<user>', missing === 'registryPassword')}`,
    );
  }
  return { address, username, password: pulumi.secret(password) };
}
