import * as pulumi from '@pulumi/pulumi';
import { fullKey, optionalString, readCount, setCommand } from '../config/stack-config.js';

/*
 * Config shared by the targets that create their own cluster (aks, eks, gke). The factories read
 * all of it before the first resource is registered, so a mistake in the stack config never
 * leaves a half-built cloud behind. The clouds' own keys (`azure-native:location`, `aws:region`,
 * `gcp:project`, `gcp:region`) are read from the stack config too, never from the environment
 * variables the providers would also accept: otherwise one shell could deploy a stack into another
 * stack's region, and switching clouds must be switching stacks and nothing else.
 */

/** Node pool settings from the project's config; undefined fields take the cloud's default. */
export interface NodePoolConfig {
  /** `books-gateway:nodeCount`: worker nodes, a whole number of at least 1 (default 2). */
  nodeCount: number;
  /** `books-gateway:nodeSize`: machine type; undefined when the stack leaves it empty. */
  nodeSize?: string;
  /** `books-gateway:kubernetesVersion`: undefined when the stack leaves it empty. */
  kubernetesVersion?: string;
}

/** How a cloud spells its Kubernetes versions, so a typo fails here rather than minutes into `pulumi up`. */
export interface KubernetesVersionFormat {
  pattern: RegExp;
  /** Shown in the error message, e.g. `1.33`. */
  example: string;
}

const defaultNodeCount = 2;

/**
 * The oldest Kubernetes minor version a cloud stack may ask for. The system's objects run on any
 * release with Pod Security admission (1.25), but AKS, EKS and GKE create no cluster older than
 * this any more, and they refuse one only once the stack's network and identities are made: the
 * floor says so before any resource.
 */
export const minimumKubernetesVersion = { major: 1, minor: 30 } as const;

/** True when `version` (`1.33`, `1.33.2`, `1.33.2-gke.1200`) is at least the floor. */
export function meetsKubernetesFloor(version: string): boolean {
  const [major, minor] = version.split('.').map((part) => Number.parseInt(part, 10));
  const floor = minimumKubernetesVersion;
  return major > floor.major || (major === floor.major && minor >= floor.minor);
}

/** Reads `nodeCount`, `nodeSize` and `kubernetesVersion` from the project's config. */
export function readNodePoolConfig(versionFormat: KubernetesVersionFormat): NodePoolConfig {
  const config = new pulumi.Config();
  const kubernetesVersion = optionalString(config, 'kubernetesVersion');
  const fix = `Set it with: ${setCommand(config, 'kubernetesVersion', versionFormat.example)} (or leave it empty for the cloud's default)`;
  if (kubernetesVersion !== undefined && !versionFormat.pattern.test(kubernetesVersion)) {
    throw new pulumi.RunError(`${fullKey(config, 'kubernetesVersion')} "${kubernetesVersion}" is not a version this cloud accepts. ${fix}`);
  }
  if (kubernetesVersion !== undefined && !meetsKubernetesFloor(kubernetesVersion)) {
    const { major, minor } = minimumKubernetesVersion;
    throw new pulumi.RunError(
      `${fullKey(config, 'kubernetesVersion')} "${kubernetesVersion}" is older than ${major}.${minor}, the oldest Kubernetes a cloud ` +
        `stack may ask for (AKS, EKS and GKE create none older). ${fix}`,
    );
  }
  return {
    nodeCount: readCount(config, 'nodeCount', defaultNodeCount),
    nodeSize: optionalString(config, 'nodeSize'),
    kubernetesVersion,
  };
}
