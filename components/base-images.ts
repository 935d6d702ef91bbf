import * as pulumi from '@pulumi/pulumi';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ImageName } from './target.js';

/*
 * The base images the Dockerfiles build on. Each is pinned by digest in apps/base-images.json and
 * named by a build argument (NODE_IMAGE, NGINX_IMAGE) whose default is that pin; a stack may name
 * others (a registry mirror, an air-gapped copy, the stand-ins made on a machine without a
 * registry), which the build then gets as build arguments.
 */

/** apps/base-images.json, as far as the program reads it. */
interface RecordedImage {
  reference: string;
  /** The Dockerfiles' build argument naming it; none for an image the cluster runs as it is. */
  buildArg?: string;
  usedBy: string[];
}

const baseImagesFile = path.resolve(__dirname, '..', 'apps', 'base-images.json');

function recordedImages(): Record<string, RecordedImage> {
  return (JSON.parse(fs.readFileSync(baseImagesFile, 'utf8')) as { images: Record<string, RecordedImage> }).images;
}

/** Each build argument, with the images whose Dockerfile declares it. */
export function baseImageArgs(): Map<string, ImageName[]> {
  return new Map(
    Object.values(recordedImages()).flatMap((image) =>
      image.buildArg === undefined
        ? []
        : [[image.buildArg, image.usedBy.map((dockerfile) => path.basename(path.dirname(dockerfile)) as ImageName)] as const],
    ),
  );
}

/** The pinned reference (`name:tag@sha256:…`) apps/base-images.json records under `name`. */
export function recordedImage(name: string): string {
  const image = recordedImages()[name];
  if (!image) throw new Error(`apps/base-images.json records no image ${name}`);
  return image.reference;
}

/** Build argument → image reference, for the arguments a stack overrides. */
export type BaseImageOverrides = Readonly<Record<string, string>>;

// Docker's reference grammar (distribution/reference): [domain[:port]/]path[:tag][@digest].
const domain = String.raw`(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?`;
const component = String.raw`[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`;
const tag = String.raw`[\w][\w.-]{0,127}`;
const digest = String.raw`sha256:[0-9a-f]{64}`;
const pinnedReference = new RegExp(String.raw`^(?:${domain}/)?${component}(?:/${component})*(?::${tag}(?:@${digest})?|@${digest})$`);

/**
 * The overrides checked: each names a build argument a Dockerfile declares and an image reference
 * with a tag or a digest. The message names `name`, the setting the user sets.
 */
export function assertBaseImages(name: string, overrides: BaseImageOverrides): BaseImageOverrides {
  const known = [...baseImageArgs().keys()];
  for (const [arg, reference] of Object.entries(overrides)) {
    if (!known.includes(arg)) {
      throw new pulumi.RunError(`${name} names an unknown build argument "${arg}": the Dockerfiles' base images are ${known.join(', ')}`);
    }
    assertImageReference(`${name}.${arg}`, reference, 'registry.example.com/node:22-alpine, node@sha256:<64 hex>');
  }
  return overrides;
}

/**
 * An image reference with a tag or a digest: an untagged name would be whatever `latest` is that
 * day. The message names `name`, the setting the user sets, and shows `examples`.
 */
export function assertImageReference(name: string, reference: unknown, examples: string): string {
  if (typeof reference !== 'string' || !pinnedReference.test(reference)) {
    throw new pulumi.RunError(`${name} must be an image reference with a tag or a digest (${examples}), got ${JSON.stringify(reference)}`);
  }
  return reference;
}

/** The overrides one image's Dockerfile takes, as its build arguments. */
export function baseImageBuildArgs(image: ImageName, overrides: BaseImageOverrides): Record<string, string> {
  const args = baseImageArgs();
  return Object.fromEntries(Object.entries(overrides).filter(([arg]) => args.get(arg)?.includes(image)));
}
