import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { ImageRegistry, Target, VolumeProvisioner } from '../../components/target.js';
import type { BuildCache } from '../../components/target.js';

/** What each cloud's cluster component (AksCluster, EksCluster, GkeCluster) hands the program. */
export interface CloudCluster {
  /** Every Kubernetes object goes through this provider: the new cluster's, never the ambient default. */
  readonly provider: k8s.Provider;
  /** The cloud's registry the images are pushed to; the nodes pull from it by their own identity. */
  readonly registry: ImageRegistry;
  /** Registry host, as `docker login` takes it. */
  readonly registryHost: pulumi.Input<string>;
  readonly clusterName: pulumi.Output<string>;
  /** Kubeconfig of the new cluster, always a secret (AKS's holds a client certificate). */
  readonly kubeconfig: pulumi.Output<string>;
  /** How the cluster makes volumes: the CSI driver of the cloud's disks, which the cluster runs. */
  readonly volumeProvisioner: VolumeProvisioner;
}

/**
 * A cloud cluster as a Target: the images built for linux/amd64 (the clouds' default node
 * architecture), and the cluster's name, registry and kubeconfig as stack outputs.
 */
export function cloudTarget(
  cluster: CloudCluster,
  buildCache: BuildCache,
  extraOutputs: Record<string, pulumi.Input<unknown>> = {},
): Target {
  return {
    provider: cluster.provider,
    platforms: ['linux/amd64'],
    registry: cluster.registry,
    buildCache,
    volumeProvisioner: cluster.volumeProvisioner,
    outputs: {
      clusterName: cluster.clusterName,
      registry: cluster.registryHost,
      kubeconfig: cluster.kubeconfig,
      ...extraOutputs,
    },
  };
}

export interface ClusterProviderArgs {
  /** The new cluster's kubeconfig (a secret). */
  kubeconfig: pulumi.Input<string>;
  /**
   * The cloud's stable id of the cluster (ARM id, EKS ARN, GKE id). Without it the provider is
   * replaced whenever its kubeconfig text changes (a rotated certificate, a new CA bundle, a
   * reordered field), and replacing the provider replaces every object deployed through it.
   */
  clusterIdentifier: pulumi.Input<string>;
  /**
   * What must be ready before anything is deployed: the nodes, their right to pull images, and
   * their route to the registries. A cluster without them accepts Deployments whose rollouts
   * then time out.
   */
  readyWhen: pulumi.Input<pulumi.Resource>[];
}

/** The Kubernetes provider for a cluster the program has just created. */
export function clusterProvider(
  name: string,
  { kubeconfig, clusterIdentifier, readyWhen }: ClusterProviderArgs,
  parent: pulumi.Resource,
): k8s.Provider {
  return new k8s.Provider(name, { kubeconfig: pulumi.secret(kubeconfig), clusterIdentifier }, { parent, dependsOn: readyWhen });
}
