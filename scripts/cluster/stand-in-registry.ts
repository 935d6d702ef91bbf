import { docker } from '../toolkit/docker.js';
import type { StandInImages, StandInPlatform } from '../images/stand-ins.js';
import { ports } from './layout.js';

/*
 * The stand-in base images, pushed to the cluster's registry: BuildKit pulls a build's base
 * images from a registry (it does not see the Docker engine's images), so these references are
 * what a stack's `baseImages` names on this machine. Stand-ins of several platforms are joined
 * into one index per image, as the official images are: a multi-platform build takes each
 * platform's variant from it, and its build stages the machine's own.
 */

const registry = `127.0.0.1:${ports.registry}`;

/** An image of the local engine, pushed to the cluster's registry; answers its reference there. */
export async function publishImage(reference: string): Promise<string> {
  const published = `${registry}/${reference}`;
  await docker(['tag', reference, published]);
  await docker(['push', '--quiet', published]);
  return published;
}

/** One index of the platforms' images, pushed under the first one's name with the platforms' tags. */
async function pushIndex(images: ReadonlyArray<readonly [StandInPlatform, string]>): Promise<string> {
  const published = await Promise.all(images.map(([, reference]) => publishImage(reference)));
  const index = `${published[0]}-index-${images.map(([platform]) => platform.split('/').slice(1).join('')).join('-')}`;
  await docker(['manifest', 'rm', index]).catch(() => undefined);
  await docker(['manifest', 'create', '--insecure', index, ...published]);
  for (const [i, [platform]] of images.entries()) {
    const [os, architecture, variant] = platform.split('/');
    await docker([
      'manifest',
      'annotate',
      '--os',
      os,
      '--arch',
      architecture,
      ...(variant ? ['--variant', variant] : []),
      index,
      published[i],
    ]);
  }
  await docker(['manifest', 'push', '--insecure', '--purge', index]);
  return index;
}

/**
 * Pushes the stand-ins and answers the references to name in `baseImages`: the image itself for
 * one platform, an index for several (the machine's own platform first: the build stages').
 */
export async function publishStandIns(byPlatform: ReadonlyArray<readonly [StandInPlatform, StandInImages]>): Promise<StandInImages> {
  if (byPlatform.length === 1) {
    const [[, standIns]] = byPlatform as [readonly [StandInPlatform, StandInImages]];
    const [node, nginx] = await Promise.all([publishImage(standIns.node), publishImage(standIns.nginx)]);
    return { node, nginx };
  }
  const [node, nginx] = await Promise.all([
    pushIndex(byPlatform.map(([platform, standIns]) => [platform, standIns.node])),
    pushIndex(byPlatform.map(([platform, standIns]) => [platform, standIns.nginx])),
  ]);
  return { node, nginx };
}
