import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { contentTag, imageSource } from '../../components/images.js';
import type { ImageName } from '../../components/target.js';
import { repoRoot } from './base-images.js';
import { imageExists, outputTail, runDocker } from '../toolkit/docker.js';

/*
 * The three images, built from the real Dockerfiles and build contexts (those the program builds:
 * imageSource) by BuildKit, for this machine's platform. Each is tagged with a digest of its
 * content tag and its base-image build arguments, so an image already built from the same inputs
 * is reused, within a run and across runs.
 */

const repository = 'books-gateway-rehearse';
const builtFromLabel = 'books-gateway.rehearse.built-from';

/** The Dockerfiles' base-image build arguments; none builds on the pinned official images. */
export type BaseImageArgs = Partial<Record<'NODE_IMAGE' | 'NGINX_IMAGE', string>>;

/** Words in BuildKit's output when a base image could not be fetched from its registry. */
const pullFailure = /failed to (resolve source metadata|do request|authorize|fetch)|pull access denied|no such host|dial tcp|i\/o timeout/i;

const builds = new Map<string, Promise<string>>();

/** The local image to run for `image`, built when no image from the same inputs exists yet. */
export function appImage(image: ImageName, baseArgs: BaseImageArgs, log: (line: string) => void): Promise<string> {
  const tag = contentTag(repoRoot, image);
  const inputs = createHash('sha256')
    .update(`${tag}\0${JSON.stringify(Object.entries(baseArgs).sort())}`)
    .digest('hex');
  const reference = `${repository}/${image}:${inputs.slice(0, 16)}`;
  let build = builds.get(reference);
  if (!build) {
    build = buildUnlessPresent(image, reference, tag, baseArgs, log).catch((error: unknown) => {
      builds.delete(reference);
      throw error;
    });
    builds.set(reference, build);
  }
  return build;
}

async function buildUnlessPresent(
  image: ImageName,
  reference: string,
  tag: string,
  baseArgs: BaseImageArgs,
  log: (line: string) => void,
): Promise<string> {
  if (await imageExists(reference)) {
    log(`${image}: reusing ${reference}`);
    return reference;
  }
  const { context, dockerfile } = imageSource(repoRoot, image);
  const args = ['build', '--progress=plain', '-f', dockerfile, '-t', reference, '--label', `${builtFromLabel}=${image}:${tag}`];
  for (const [name, value] of Object.entries(baseArgs)) args.push('--build-arg', `${name}=${value}`);
  args.push(context);
  log(`${image}: building ${reference} from ${path.relative(repoRoot, dockerfile)}`);
  const started = Date.now();
  const run = await runDocker(args);
  if (run.code !== 0) {
    const hint =
      Object.keys(baseArgs).length === 0 && pullFailure.test(run.stderr)
        ? ': its official base image could not be pulled (no container registry is reachable?); rehearse with --stand-in-base-images'
        : '';
    throw new Error(`Building the ${image} image from ${path.relative(repoRoot, dockerfile)} failed${hint}\n${outputTail(run.stderr)}`);
  }
  log(`${image}: built ${reference} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return reference;
}
