import * as pulumi from '@pulumi/pulumi';
import { buildCaches, type BuildCache } from '../../components/target.js';
import { fullKey, optionalString, setCommand } from '../config/stack-config.js';

/**
 * `books-gateway:buildCache` of a target that pushes its images: `registry` or `none`, `fallback`
 * when unset. Each target's fallback is what its builders are likely to support (images.ts).
 */
export function readBuildCache(config: pulumi.Config, fallback: BuildCache): BuildCache {
  const value = optionalString(config, 'buildCache');
  if (value === undefined) return fallback;
  if (!(buildCaches as readonly string[]).includes(value)) {
    throw new pulumi.RunError(
      `${fullKey(config, 'buildCache')} must be one of ${buildCaches.join(', ')}, got "${value}". Set it with: ${setCommand(config, 'buildCache', 'none')}`,
    );
  }
  return value as BuildCache;
}
