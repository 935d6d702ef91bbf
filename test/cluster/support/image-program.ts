/**
 * A program that builds the images as the k3s target's stack would and deploys nothing: the k3s
 * target's own config (imagePlatform, imageRegistry, buildCache) and the stack's baseImages, the
 * same image builds GatewayStack makes, on the real engine and the docker-build plugin. The
 * Raspberry Pi images' test (pi-images.test.ts) runs what it pushes under emulation, with
 * `docker run`: the pods could not start on this machine's node.
 */
import * as pulumi from '@pulumi/pulumi';
import * as path from 'node:path';
import { buildImages, contentTags } from '../../../components/images.js';
import { readBaseImages } from '../../../stacks/config/base-images.js';
import { createK3sTarget } from '../../../stacks/k3s/index.js';

const sourceRoot = path.resolve(__dirname, '..', '..', '..');

export function buildTargetImages(): Promise<Record<string, pulumi.Input<unknown>>> {
  const config = new pulumi.Config();
  const { platforms, registry, buildCache } = createK3sTarget();
  const baseImages = readBaseImages(config);
  return Promise.resolve({
    images: buildImages({ sourceRoot, platforms, registry, baseImages, cache: buildCache }, contentTags(sourceRoot, baseImages)),
  });
}
