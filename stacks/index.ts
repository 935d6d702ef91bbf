import * as pulumi from '@pulumi/pulumi';
import { fullKey, setCommand } from './config.js';
import { type Target, type TargetName, targetNames } from './target.js';

/**
 * Each target's factory, loaded only when chosen: a docker-desktop stack never loads the AWS,
 * Azure and Google SDKs (seconds and hundreds of megabytes each).
 */
const targetFactories: Record<TargetName, () => Promise<() => Target>> = {
  'docker-desktop': async () => (await import('./docker-desktop.js')).createDockerDesktopTarget,
  k3s: async () => (await import('./k3s.js')).createK3sTarget,
  aks: async () => (await import('./aks.js')).createAksTarget,
  eks: async () => (await import('./eks.js')).createEksTarget,
  gke: async () => (await import('./gke.js')).createGkeTarget,
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
