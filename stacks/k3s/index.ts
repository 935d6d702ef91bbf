import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { fullKey, optionalString, requiredString, setCommand } from '../config/stack-config.js';
import { readImagePlatforms } from '../shared/image-platforms-config.js';
import { kubeconfigServers } from '../shared/kubeconfig-servers.js';
import { parseImageRegistry } from '../shared/registry-address.js';
import type { ImageName } from '../../components/images.js';
import type { ImageRegistry, RegistryCredentials, Target } from '../../components/target.js';

/**
 * A K3s cluster (a Raspberry Pi cluster): reached with the kubeconfig stored as a secret in the
 * stack, images built for `imagePlatform` (default linux/arm64, 64-bit Raspberry Pi OS) and pushed to `imageRegistry`, from which the nodes pull,
 * with an image pull Secret when the registry needs credentials. K3s's ServiceLB serves the
 * gateway's LoadBalancer Service on the nodes' addresses.
 */
export function createK3sTarget(): Target {
  const config = new pulumi.Config();
  const kubeconfig = requiredString(config, 'kubeconfig', "the K3s cluster's kubeconfig", '"$(cat k3s.yaml)"', true);
  const context = optionalString(config, 'kubeContext');
  const platforms = readImagePlatforms(config, 'linux/arm64');
  const registryAddress = parseImageRegistry(
    fullKey(config, 'imageRegistry'),
    requiredString(config, 'imageRegistry', 'where the images are pushed, for the nodes to pull', 'ghcr.io/acme'),
  );
  const credentials = readCredentials(config, registryAddress.host);

  const provider = new k8s.Provider('k3s', {
    kubeconfig: pulumi.secret(kubeconfig),
    context,
    // Same API server, same cluster: rotating the kubeconfig's credentials must update the
    // provider, not replace every object deployed through it.
    clusterIdentifier: ['k3s', ...kubeconfigServers(kubeconfig), ...(context ? [context] : [])].join('|'),
    // A reinstalled or unreachable cluster: `up` and `destroy` drop its objects from the state
    // instead of failing until the state is edited by hand.
    deleteUnreachable: true,
  });

  const registry: ImageRegistry = {
    repository: (image: ImageName) => `${registryAddress.repositoryPrefix}/${image}`,
    credentials,
    // K3s nodes have no identity a registry knows: a private registry needs a pull Secret.
    needsPullSecret: credentials !== undefined,
  };

  return {
    provider,
    platforms,
    registry,
    // K3s's bundled Traefik holds 80 and 443 on every node through ServiceLB, where a second
    // LoadBalancer on the same port would never get an address.
    gatewayServicePorts: { http: 8080, https: 8443 },
    outputs: { imageRegistry: registryAddress.repositoryPrefix },
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
