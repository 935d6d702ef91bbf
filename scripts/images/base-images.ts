import * as fs from 'node:fs';
import * as path from 'node:path';

/** The repository root (this file is scripts/images/base-images.ts). */
export const repoRoot = path.resolve(__dirname, '../..');

export type BaseImageName = 'node' | 'nginx-unprivileged';

/** One pinned official base image, as apps/base-images.json records it. */
export interface BaseImage {
  /** `name:tag@sha256:…`, the multi-arch index. */
  reference: string;
  /** The Dockerfiles' build argument that names it, where a Dockerfile builds on it. */
  buildArg?: string;
  usedBy: string[];
  user: number;
  platforms: string[];
  platformsSource: string;
  recorded: string;
}

export const baseImagesFile = path.join(repoRoot, 'apps/base-images.json');

/** The pinned official base images (apps/base-images.json). */
export function baseImages(): Record<BaseImageName, BaseImage> {
  return (JSON.parse(fs.readFileSync(baseImagesFile, 'utf8')) as { images: Record<BaseImageName, BaseImage> }).images;
}

/** `node:22.22.2-alpine3.23@sha256:…` → `22.22.2`: the Node.js release the official image carries. */
export function nodeVersionOf(reference: string): string {
  const version = /^node:(\d+\.\d+\.\d+)-/.exec(reference)?.[1];
  if (!version) throw new Error(`${baseImagesFile}: the node image ${reference} names no Node.js version (node:X.Y.Z-…)`);
  return version;
}
