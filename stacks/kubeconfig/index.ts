import * as pulumi from '@pulumi/pulumi';
import { fullKey, optionalString, setCommand } from '../config/stack-config.js';
import { existingClusterProvider, readStackRegistry } from '../shared/existing-cluster.js';
import { readBuildCache } from '../shared/build-cache-config.js';
import { readImagePlatforms } from '../shared/image-platforms-config.js';
import type { Target } from '../../components/target.js';

/**
 * Any existing cluster reachable through a kubeconfig: Minikube, kind, Rancher Desktop,
 * OpenShift Local, a managed cluster made elsewhere. Reached with the stack's `kubeconfig` (a
 * secret) or a `kubeContext` of the machine's own kubeconfig; with both, the context selects one
 * inside the stack's kubeconfig. Images built for `imagePlatform` (default linux/amd64) and pushed
 * to `imageRegistry`, with an image pull Secret when the registry needs credentials. It creates
 * nothing but the system: the cluster's own LoadBalancer implementation serves the gateway.
 */
export function createKubeconfigTarget(): Target {
  const config = new pulumi.Config();
  const kubeconfig = optionalString(config, 'kubeconfig');
  const context = optionalString(config, 'kubeContext');
  const clusterName = optionalString(config, 'clusterName');
  if (kubeconfig === undefined && context === undefined) {
    throw new pulumi.RunError(
      `Missing config ${fullKey(config, 'kubeconfig')} or ${fullKey(config, 'kubeContext')}: the kubeconfig target needs the ` +
        `cluster's kubeconfig, set with: ${setCommand(config, 'kubeconfig', '"$(cat kubeconfig.yaml)"', true)}, ` +
        `or a context of this machine's kubeconfig, set with: ${setCommand(config, 'kubeContext', 'kind-books')}`,
    );
  }
  // The database's volume comes from the cluster's default StorageClass as it is, a provisioner
  // the program cannot know: that class's reclaim policy decides what destroy does to it.
  if (optionalString(config, 'databaseVolumeOnDestroy') !== undefined) {
    throw new pulumi.RunError(
      `${fullKey(config, 'databaseVolumeOnDestroy')} cannot be honoured on the kubeconfig target: the database's volume comes from ` +
        "the cluster's default StorageClass, whose reclaim policy (kubectl get storageclass) decides what pulumi destroy does to it; " +
        `remove the key with: pulumi config rm ${fullKey(config, 'databaseVolumeOnDestroy')}`,
    );
  }
  const platforms = readImagePlatforms(config, 'linux/amd64');
  // Built where the operator is, often a plain Docker Engine, whose builder exports no cache.
  const buildCache = readBuildCache(config, 'none');
  const { registry, repositoryPrefix } = readStackRegistry(config, "where the images are pushed, for the cluster's nodes to pull");

  return {
    provider: existingClusterProvider('kubeconfig', { kubeconfig, context, clusterName }),
    platforms,
    registry,
    buildCache,
    // kind, and minikube without `minikube tunnel`, give a LoadBalancer Service no address.
    gatewayAddress: { kind: 'unawaited' },
    outputs: { imageRegistry: repositoryPrefix, ...(context === undefined ? {} : { kubeContext: context }) },
  };
}
