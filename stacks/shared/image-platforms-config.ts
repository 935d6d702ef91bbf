import * as pulumi from '@pulumi/pulumi';
import { fullKey, readList } from '../config/stack-config.js';
import type { ImagePlatform } from '../../components/target.js';
import { assertImagePlatforms } from '../../components/validation.js';

/**
 * `books-gateway:imagePlatform` of a target whose cluster the program did not make (k3s,
 * kubeconfig): one platform or a comma-separated list, `fallback` when unset. A list builds one
 * multi-platform image, so a cluster of mixed nodes (a Pi 4 beside a Pi 3 on 32-bit Raspberry Pi
 * OS) pulls the variant each node runs.
 */
export function readImagePlatforms(config: pulumi.Config, fallback: ImagePlatform): ImagePlatform[] {
  const values = readList(config, 'imagePlatform');
  return values === undefined ? [fallback] : assertImagePlatforms(fullKey(config, 'imagePlatform'), values);
}
