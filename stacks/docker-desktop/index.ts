import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { optionalString } from '../config/stack-config.js';
import type { Target } from '../../components/target.js';

/** The context Docker Desktop writes into ~/.kube/config when its Kubernetes is enabled. */
export const dockerDesktopContext = 'docker-desktop';

/**
 * Docker Desktop's own Kubernetes: the cluster exists, its kubelet runs on the local Docker
 * engine, so images are built for this machine and loaded there rather than pushed anywhere.
 * Its LoadBalancer Services are published on localhost.
 */
export function createDockerDesktopTarget(): Target {
  const context = optionalString(new pulumi.Config(), 'kubeContext') ?? dockerDesktopContext;

  const provider = new k8s.Provider('docker-desktop', {
    // The local kubeconfig (~/.kube/config or $KUBECONFIG), on the chosen context.
    context,
    // The context names the cluster: a refreshed kubeconfig file must not replace every object.
    clusterIdentifier: `docker-desktop/${context}`,
    // No deleteUnreachable: with Kubernetes turned off, `destroy` would drop the objects from the
    // state and the next `up`, Kubernetes back on, would fail on each with "already exists". An
    // unreachable cluster fails instead; "Reset Kubernetes Cluster" (objects gone, cluster there)
    // is what `pulumi up --refresh` handles.
  });

  return {
    provider,
    // Docker Desktop publishes every LoadBalancer port on localhost and forwards it to the
    // Service's cluster IP, which follows the gateway's ready pods within a second or two.
    gatewayAddress: { kind: 'published', host: 'localhost' },
    loadBalancerSettleSeconds: 5,
    // Docker Desktop's own provisioner: each volume a folder of its VM's disk. Made for the pod's
    // node (there is one), as Docker Desktop's default class would make it at once.
    volumeProvisioner: { provisioner: 'docker.io/hostpath', volumeBindingMode: 'WaitForFirstConsumer' },
    outputs: { kubeContext: context },
  };
}
