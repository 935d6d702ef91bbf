import * as dockerBuild from '@pulumi/docker-build';
import * as pulumi from '@pulumi/pulumi';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { imageNames, type BuildCache, type ImageName, type ImageRegistry, type Target } from './target.js';
import { baseImageBuildArgs, type BaseImageOverrides } from './base-images.js';
import { buildContextDigest } from './build-context.js';

/** Repository of the images loaded into the local Docker (never pushed, so any name will do). */
export const localRepositoryPrefix = 'books-gateway';

/** Where an image is built from: the repository root as context, the image's own Dockerfile. */
export function imageSource(sourceRoot: string, image: ImageName): { context: string; dockerfile: string } {
  return { context: sourceRoot, dockerfile: path.join(sourceRoot, 'apps', image, 'Dockerfile') };
}

/**
 * A tag that changes whenever anything the build can see changes, the base images it is given
 * included: 16 hex digits of their digest.
 */
export function contentTag(sourceRoot: string, image: ImageName, baseImages: BaseImageOverrides = {}): string {
  const { context, dockerfile } = imageSource(sourceRoot, image);
  const digest = buildContextDigest(context, dockerfile);
  const args = Object.entries(baseImageBuildArgs(image, baseImages)).sort(([a], [b]) => a.localeCompare(b));
  if (args.length === 0) return digest.slice(0, 16);
  return createHash('sha256').update(digest).update(JSON.stringify(args)).digest('hex').slice(0, 16);
}

export interface ImageBuildOptions {
  sourceRoot: string;
  /** Undefined builds for the building machine. */
  platforms?: Target['platforms'];
  /** Undefined loads the image into the local Docker instead of pushing it. */
  registry?: ImageRegistry;
  /** The content tag (contentTag). */
  tag: string;
  /** Base images instead of the Dockerfiles' pinned defaults (the `baseImages` stack config). */
  baseImages?: BaseImageOverrides;
  /** Where a pushed image's build keeps its layer cache (BuildCache). Default `registry`. */
  cache?: BuildCache;
}

/** The image's name and tag: in its registry repository, or the local one. */
export function imageTag(image: ImageName, options: Pick<ImageBuildOptions, 'registry' | 'tag'>): pulumi.Output<string> {
  const repository = options.registry ? options.registry.repository(image) : `${localRepositoryPrefix}/${image}`;
  return pulumi.interpolate`${repository}:${options.tag}`;
}

/** A path as seen from the folder Pulumi runs the program in (`.` for that folder itself). */
function projectRelative(location: string): string {
  return path.relative(process.cwd(), location) || '.';
}

/** The tag of an image's build cache, beside the image in its registry repository. */
export const registryCacheTag = 'buildcache';

/**
 * Where a pushed image's build reads and writes its layer cache, so that an `up` on a fresh
 * builder (a CI runner, a pruned Docker, the other machine of the team) reuses the last build's
 * `npm ci` instead of running it cold: beside the image in its registry. Every stage is cached
 * (`max`), not only the final one: the dependency installs are in the build stages. An OCI image
 * manifest, which every registry takes (ECR refuses the default manifest list for caches).
 * A loaded image (docker-desktop) exports none: the local engine keeps its own layer cache, and
 * a cache export needs the containerd image store or a docker-container builder, which a
 * Docker Desktop upgraded from before 4.34 does not have, so the dev stack's first `up` would fail.
 * Nor does a multi-platform image (a platform list): one cache for several platforms does not work
 * reliably (docker/buildx discussion 1382), and docker-build warns so on every build; the builder's
 * local cache still serves the next build on the same machine.
 */
function buildCache(image: ImageName, options: ImageBuildOptions): Pick<dockerBuild.ImageArgs, 'cacheFrom' | 'cacheTo'> {
  if (!options.registry || options.cache === 'none' || (options.platforms?.length ?? 0) > 1) return {};
  const ref = pulumi.interpolate`${options.registry.repository(image)}:${registryCacheTag}`;
  return {
    cacheFrom: [{ registry: { ref } }],
    cacheTo: [{ registry: { ref, mode: 'max', imageManifest: true, ociMediaTypes: true } }],
  };
}

/**
 * The build of one image. Pushed when there is a registry (with its credentials, in memory only),
 * otherwise loaded into the local Docker, which is where Docker Desktop's kubelet finds it.
 */
export function imageBuildArgs(image: ImageName, options: ImageBuildOptions): dockerBuild.ImageArgs {
  const { context, dockerfile } = imageSource(options.sourceRoot, image);
  const credentials = options.registry?.credentials;
  const buildArgs = baseImageBuildArgs(image, options.baseImages ?? {});
  return {
    // Relative to the project folder, where Pulumi runs the program and the plugin resolves them:
    // absolute paths differ between two checkouts of one commit, and a changed path rebuilds and
    // pushes the image again.
    context: { location: projectRelative(context) },
    dockerfile: { location: projectRelative(dockerfile) },
    buildArgs: Object.keys(buildArgs).length > 0 ? buildArgs : undefined,
    // The SDK's Platform enum lists no variants (`linux/arm/v7`), but the provider parses each
    // value with buildx's own platform parser, which takes them.
    platforms: options.platforms?.map((platform) => platform as dockerBuild.Platform),
    tags: [imageTag(image, options)],
    // A preview shows what would be built; building every image for it took minutes.
    buildOnPreview: false,
    ...buildCache(image, options),
    push: options.registry !== undefined,
    load: options.registry === undefined,
    registries: credentials ? [{ ...credentials }] : undefined,
  };
}

/** Each image's content tag (contentTag): worked out before anything is registered, since a missing Dockerfile throws. */
export function contentTags(sourceRoot: string, baseImages: BaseImageOverrides = {}): ReadonlyMap<ImageName, string> {
  return new Map(imageNames.map((image) => [image, contentTag(sourceRoot, image, baseImages)]));
}

/**
 * The three images, built and pushed (or loaded) as `options` say, under `tags`; answers the
 * reference each workload runs. A pushed image is deployed by digest. A loaded one has no
 * registry digest (a digest reference would make the kubelet pull): it is deployed by its content
 * tag, read once the build has finished.
 */
export function buildImages(
  options: Omit<ImageBuildOptions, 'tag'>,
  tags: ReadonlyMap<ImageName, string>,
  resourceOptions: pulumi.CustomResourceOptions = {},
): Record<ImageName, pulumi.Output<string>> {
  const images = {} as Record<ImageName, pulumi.Output<string>>;
  for (const [image, tag] of tags) {
    const imageOptions: ImageBuildOptions = { ...options, tag };
    const build = new dockerBuild.Image(image, imageBuildArgs(image, imageOptions), resourceOptions);
    images[image] = options.registry
      ? build.ref
      : pulumi.all([build.ref, imageTag(image, imageOptions)]).apply(([, reference]) => reference);
  }
  return images;
}
