/**
 * The production images' base images: each pinned once, by digest, in apps/base-images.json (with
 * the platforms its index offers), taken by the Dockerfiles as build arguments whose defaults are
 * those pins, and built on in a way that keeps cross-platform builds native.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { imageSource } from '../../components/images.js';
import { imageNames } from '../../components/target.js';
import { baseImages, repoRoot } from '../../scripts/images/base-images.js';

interface Stage {
  platform?: string;
  image: string;
  name?: string;
}

/** A Dockerfile's ARG defaults before the first FROM, and its stages. */
function parseDockerfile(file: string): { args: Map<string, string>; stages: Stage[]; text: string } {
  const text = fs.readFileSync(file, 'utf8');
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of text.replace(/\\\n/g, ' ').split('\n')) {
    const arg = /^ARG\s+([A-Z_]+)=(\S+)$/.exec(line.trim());
    if (arg && stages.length === 0) args.set(arg[1], arg[2]);
    const from = /^FROM\s+(?:--platform=(\S+)\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line.trim());
    if (from) stages.push({ platform: from[1], image: from[2], name: from[3] });
  }
  return { args, stages, text };
}

const pins = baseImages();
const dockerfiles = imageNames.map((image) => ({ image, ...parseDockerfile(imageSource(repoRoot, image).dockerfile) }));

describe('base images', () => {
  it('records each pin by digest with its platforms, their source and date', () => {
    for (const [name, pin] of Object.entries(pins)) {
      assert.match(pin.reference, /^[a-z0-9./-]+:[\w.-]+@sha256:[0-9a-f]{64}$/, `${name}: name:tag@sha256:<digest>`);
      assert.ok(
        pin.platforms.length > 0 && pin.platforms.every((platform) => /^linux\/[a-z0-9]+(\/v\d)?$/.test(platform)),
        `${name}: os/arch[/variant] platforms`,
      );
      assert.ok(!pin.platforms.includes('linux/arm64/v8'), `${name}: platforms in Docker's normalized form (linux/arm64)`);
      assert.ok(pin.platforms.includes('linux/amd64'), `${name}: offers linux/amd64`);
      assert.match(pin.platformsSource, /commit [0-9a-f]{40}/, `${name}: cites the commit its platforms come from`);
      assert.match(pin.recorded, /^\d{4}-\d{2}-\d{2}$/);
      for (const file of pin.usedBy) assert.ok(fs.existsSync(path.join(repoRoot, file)), `${name}: used by ${file}, which exists`);
    }
  });

  for (const { image, args, stages, text } of dockerfiles) {
    it(`${image}: every base image is a build argument defaulting to its recorded pin`, () => {
      const used = Object.entries(pins).filter(([, pin]) => pin.usedBy.includes(`apps/${image}/Dockerfile`));
      assert.ok(used.length > 0, `apps/base-images.json names what apps/${image}/Dockerfile builds on`);
      for (const [name, pin] of used)
        assert.equal(args.get(pin.buildArg ?? ''), pin.reference, `${image}: ARG ${pin.buildArg} defaults to the ${name} pin`);
      assert.equal(args.size, used.length, `${image}: no ARG before FROM that base-images.json does not record`);
      const stageNames = stages.map((stage) => stage.name);
      for (const stage of stages) {
        const fromArg = /^\$\{([A-Z_]+)\}$/.exec(stage.image)?.[1];
        assert.ok(
          (fromArg && args.has(fromArg)) || stageNames.includes(stage.image),
          `${image}: FROM ${stage.image} is a build argument or a stage`,
        );
      }
    });

    it(`${image}: no # syntax= line (it would make BuildKit pull a frontend image)`, () => {
      assert.doesNotMatch(text, /^#\s*syntax\s*=/im);
    });

    it(`${image}: every build stage runs on the build platform; the image's own stage runs nothing`, () => {
      const onBuildPlatform = new Set<string>();
      for (const stage of stages.slice(0, -1)) {
        // A stage built on another stage runs on that stage's platform.
        const onBuild = stage.platform === '$BUILDPLATFORM' || onBuildPlatform.has(stage.image);
        assert.ok(onBuild, `${image}: stage ${stage.name} on --platform=$BUILDPLATFORM`);
        if (stage.name) onBuildPlatform.add(stage.name);
      }
      assert.equal(stages.at(-1)?.platform, undefined, `${image}: the runtime stage is for the target platform`);
      const runtime = text.slice(text.lastIndexOf('\nFROM '));
      assert.doesNotMatch(runtime, /^RUN\s/m, `${image}: the runtime stage runs nothing, so a cross-platform build emulates nothing`);
    });
  }

  it('books: what its runtime stage copies from a build stage is platform-independent (no native addon, no install script)', () => {
    const lock = JSON.parse(fs.readFileSync(path.join(repoRoot, 'apps/books/package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; hasInstallScript?: boolean; os?: string[]; cpu?: string[]; optional?: boolean }>;
    };
    const production = Object.entries(lock.packages).filter(([key, entry]) => key !== '' && !entry.dev);
    assert.ok(
      production.some(([key]) => key === 'node_modules/fastify'),
      'fastify is a production dependency',
    );
    const platformBound = production.filter(([, entry]) => entry.hasInstallScript || entry.os || entry.cpu).map(([key]) => key);
    assert.deepEqual(platformBound, [], 'production packages that build or pick native code per platform');
    const installed = path.join(repoRoot, 'apps/books/node_modules');
    const nativeFiles = production.flatMap(([key]) => {
      const folder = path.join(repoRoot, 'apps/books', key);
      if (!fs.existsSync(folder)) return [];
      return (fs.readdirSync(folder, { recursive: true }) as string[]).filter(
        (file) => file.endsWith('.node') || file.endsWith('binding.gyp'),
      );
    });
    assert.ok(fs.existsSync(path.join(installed, 'fastify')), 'apps/books is installed (npm ci)');
    assert.deepEqual(nativeFiles, [], 'native addon files among the production packages');
  });
});
