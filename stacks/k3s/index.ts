import * as pulumi from '@pulumi/pulumi';
import { optionalString, requiredString } from '../config/stack-config.js';
import { existingClusterProvider, readStackRegistry } from '../shared/existing-cluster.js';
import { readBuildCache } from '../shared/build-cache-config.js';
import { readImagePlatforms } from '../shared/image-platforms-config.js';
import type { Target } from '../../components/target.js';

/**
 * A K3s cluster (a Raspberry Pi cluster): reached with the kubeconfig stored as a secret in the
 * stack, images built for `imagePlatform` (default linux/arm64, 64-bit Raspberry Pi OS) and pushed
 * to `imageRegistry`, from which the nodes pull, with an image pull Secret when the registry
 * needs credentials. K3s's ServiceLB serves the gateway's LoadBalancer Service on the nodes'
 * addresses.
 */
export function createK3sTarget(): Target {
  const config = new pulumi.Config();
  const kubeconfig = requiredString(config, 'kubeconfig', "the K3s cluster's kubeconfig", '"$(cat k3s.yaml)"', true);
  const context = optionalString(config, 'kubeContext');
  const clusterName = optionalString(config, 'clusterName');
  const platforms = readImagePlatforms(config, 'linux/arm64');
  // Built where the operator is, often a plain Docker Engine, whose builder exports no cache.
  const buildCache = readBuildCache(config, 'none');
  const { registry, repositoryPrefix } = readStackRegistry(config, 'where the images are pushed, for the nodes to pull');

  return {
    provider: existingClusterProvider('k3s', { kubeconfig, context, clusterName }),
    platforms,
    registry,
    buildCache,
    // K3s's bundled Traefik holds 80 and 443 on every node through ServiceLB, where a second
    // LoadBalancer on the same port would never get an address.
    gatewayServicePorts: { http: 8080, https: 8443 },
    // ServiceLB gives the Service the nodes' addresses, unless the cluster runs without it.
    gatewayAddress: { kind: 'unawaited' },
    // K3s's bundled local-path-provisioner: a folder on the node the pod is scheduled to, which
    // the database then stays on.
    volumeProvisioner: { provisioner: 'rancher.io/local-path', volumeBindingMode: 'WaitForFirstConsumer' },
    outputs: { imageRegistry: repositoryPrefix },
  };
}
