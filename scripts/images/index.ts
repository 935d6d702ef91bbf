import { contentTag, localRepositoryPrefix } from '../../components/images.js';
import { imageNames, type ImageName } from '../../components/target.js';
import { appImage, type BaseImageArgs } from './app-images.js';
import { repoRoot } from './base-images.js';
import { ensureEngine } from '../toolkit/docker.js';
import { standInBaseImages } from './stand-ins.js';

export interface PrepareImagesOptions {
  standInBaseImages: boolean;
  log?: (line: string) => void;
}

/** `books-gateway/books:<contentTag>` → `books`, checking the tag against the sources as they are now. */
function builtImageName(reference: string): ImageName {
  const match = /^([^:@]+)\/([^/:@]+):([0-9a-f]+)$/.exec(reference);
  const name = imageNames.find((image) => image === match?.[2]);
  if (!match || match[1] !== localRepositoryPrefix || !name) {
    throw new Error(
      `No image is known for ${reference}: the rehearsal builds ${imageNames.map((image) => `${localRepositoryPrefix}/${image}:<tag>`).join(', ')}`,
    );
  }
  const current = contentTag(repoRoot, name);
  if (match[3] !== current) {
    throw new Error(
      `${reference} names content tag ${match[3]}, but apps/${name} now gives ${current}: its sources changed after the objects were captured; capture them again`,
    );
  }
  return name;
}

/**
 * For every image reference the captured pod specs name (the three images as the program tags
 * them on docker-desktop, `books-gateway/<name>:<contentTag>`), builds or reuses a local image and returns reference → local image to run. A failed
 * build throws an Error whose message is one clear line followed by the build's own error output.
 */
export async function prepareImages(podImages: readonly string[], options: PrepareImagesOptions): Promise<Map<string, string>> {
  const log = options.log ?? (() => {});
  await ensureEngine();
  const references = [...new Set(podImages)];
  // Every reference is checked before anything is built, so a wrong one fails at once.
  const builtNames = new Map(references.map((reference) => [reference, builtImageName(reference)]));
  const standIns = options.standInBaseImages ? await standInBaseImages(log) : undefined;
  const baseArgs: BaseImageArgs = standIns ? { NODE_IMAGE: standIns.node, NGINX_IMAGE: standIns.nginx } : {};
  const local = new Map<string, string>();
  // Every build runs to its end before a failure is thrown: no build goes on behind the caller.
  const builds = await Promise.allSettled(
    [...builtNames].map(async ([reference, name]) => [reference, await appImage(name, baseArgs, log)] as const),
  );
  for (const build of builds) {
    if (build.status === 'rejected') throw build.reason;
    local.set(...build.value);
  }
  return local;
}
