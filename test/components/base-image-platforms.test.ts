/**
 * The platforms `imagePlatform` accepts are those every pinned base image offers: an image built
 * for any of them starts from its base's variant for that platform. apps/base-images.json records each base image's
 * platforms from the sources that build its multi-arch index, as no registry is reachable here.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { imagePlatforms } from '../../components/target.js';

const repoRoot = path.resolve(__dirname, '../..');

interface BaseImage {
  reference: string;
  platforms: string[];
  platformsSource: string;
  recorded: string;
}

describe('image platforms', () => {
  const { images } = JSON.parse(fs.readFileSync(path.join(repoRoot, 'apps/base-images.json'), 'utf8')) as {
    images: Record<string, BaseImage>;
  };

  it('are recorded for every pinned base image, with their source and date', () => {
    assert.deepEqual(
      Object.keys(images).sort(),
      ['nginx-unprivileged', 'node', 'postgres'],
      'the bases of the three images, and the database the cluster runs',
    );
    for (const [name, image] of Object.entries(images)) {
      assert.match(image.reference, /@sha256:[0-9a-f]{64}$/, `${name} is pinned by digest`);
      assert.ok(image.platformsSource.trim(), `${name} says where its platforms come from`);
      assert.match(image.recorded, /^\d{4}-\d{2}-\d{2}$/, `${name} says when they were recorded`);
    }
  });

  it('accepted by imagePlatform are offered by every base image', () => {
    for (const [name, image] of Object.entries(images)) {
      const missing = imagePlatforms.filter((platform) => !image.platforms.includes(platform));
      assert.deepEqual(missing, [], `${name} (${image.reference}) offers no variant for ${missing.join(', ')}`);
    }
  });
});
