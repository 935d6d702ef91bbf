import type * as k8s from '@pulumi/kubernetes';
import type * as pulumi from '@pulumi/pulumi';
import { systemLabels, workloadLabels } from './labels.js';
import { postgres } from './postgres.js';
import type { VolumeProvisioner } from './target.js';

/*
 * The database's volume, and what `pulumi destroy` does to it: a declared choice, `keep` by
 * default. A claim is deleted with its namespace whatever Pulumi is told, so the choice lives in
 * the reclaim policy of the volume behind it: the stack's own StorageClass, made from the
 * cluster's provisioner, `Retain` (the volume, and the cloud disk or host folder under it,
 * outlives the claim) or `Delete` (it goes with the claim).
 */

/** What `pulumi destroy` does to the database's volume. */
export const volumeFates = ['keep', 'delete'] as const;
export type VolumeFate = (typeof volumeFates)[number];

/** The claim's name, fixed: the backup and clean-up commands of docs/targets.md name it. */
export const volumeClaimName = 'postgres-data';

/**
 * The stack's StorageClass for the database, named after its namespace (a StorageClass belongs
 * to the whole cluster, and two stacks may share one).
 */
export function storageClassArgs(namespace: string, provisioner: VolumeProvisioner, fate: VolumeFate): k8s.storage.v1.StorageClassArgs {
  return {
    metadata: { name: `${namespace}-database`, labels: systemLabels(namespace) },
    provisioner: provisioner.provisioner,
    parameters: provisioner.parameters,
    reclaimPolicy: fate === 'keep' ? 'Retain' : 'Delete',
    volumeBindingMode: provisioner.volumeBindingMode,
    allowVolumeExpansion: provisioner.allowVolumeExpansion,
  };
}

/**
 * The claim of the database's volume, one replica's worth (ReadWriteOnce). Not awaited: where
 * volumes are made for the first pod that uses them (WaitForFirstConsumer), it binds only once
 * the StatefulSet's pod is scheduled, whose rollout Pulumi awaits instead.
 */
export function volumeClaimArgs(
  namespace: string,
  size: string,
  storageClassName: pulumi.Input<string> | undefined,
): k8s.core.v1.PersistentVolumeClaimArgs {
  return {
    metadata: {
      name: volumeClaimName,
      namespace,
      labels: workloadLabels(postgres.name, postgres.component, namespace),
      annotations: { 'pulumi.com/skipAwait': 'true' },
    },
    spec: { accessModes: ['ReadWriteOnce'], storageClassName, resources: { requests: { storage: size } } },
  };
}
