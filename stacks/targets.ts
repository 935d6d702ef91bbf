import * as pulumi from '@pulumi/pulumi';
import { fullKey, setCommand } from './config/stack-config.js';
import type { Target } from '../components/target.js';

/** The targets a stack may choose with `books-gateway:target`, each a folder stacks/<target>/. */
export const targetNames = ['docker-desktop', 'k3s', 'aks', 'eks', 'gke', 'kubeconfig'] as const;
export type TargetName = (typeof targetNames)[number];

/**
 * Each target's factory, loaded only when chosen: a docker-desktop stack never loads the AWS,
 * Azure and Google SDKs (seconds and hundreds of megabytes each).
 */
const targetFactories: Record<TargetName, () => Promise<() => Target>> = {
  'docker-desktop': async () => (await import('./docker-desktop/index.js')).createDockerDesktopTarget,
  k3s: async () => (await import('./k3s/index.js')).createK3sTarget,
  aks: async () => (await import('./aks/index.js')).createAksTarget,
  eks: async () => (await import('./eks/index.js')).createEksTarget,
  gke: async () => (await import('./gke/index.js')).createGkeTarget,
  kubeconfig: async () => (await import('./kubeconfig/index.js')).createKubeconfigTarget,
};

function isTargetName(value: string): value is TargetName {
  return (targetNames as readonly string[]).includes(value);
}

/** The stack's `target`; fails, listing the valid values, when it is missing or unknown. */
export function readTargetName(config: pulumi.Config): TargetName {
  const value = config.get('target')?.trim();
  const valid = targetNames.join(', ');
  if (!value) {
    throw new pulumi.RunError(
      `Missing config ${fullKey(config, 'target')}: choose one of ${valid}. ` +
        `Set it with: ${setCommand(config, 'target', 'docker-desktop')}`,
    );
  }
  if (!isTargetName(value)) {
    throw new pulumi.RunError(`Unknown ${fullKey(config, 'target')} "${value}": choose one of ${valid}`);
  }
  return value;
}

/** Loads the chosen target's module and runs its factory (which validates its config first). */
export async function createTarget(name: TargetName): Promise<Target> {
  const factory = await targetFactories[name]();
  return factory();
}
