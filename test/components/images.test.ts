/**
 * The images' build contexts and the content tags Docker Desktop's pods run, checked on
 * throw-away folders and on this repository's own Dockerfiles.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildContextDigest, contextFiles, ignoreFileFor, isIgnored, parseIgnorePatterns } from '../../components/build-context.js';
import { contentTag, imageSource } from '../../components/images.js';
import { workloads } from '../../components/workloads.js';
import { imageNames } from '../support/scenarios.js';

const repoRoot = path.resolve(__dirname, '../..');

function writeTree(root: string, files: Record<string, string>): void {
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), content);
  }
}

describe('build contexts', () => {
  let root: string;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'build-context-'));
    writeTree(root, {
      'package.json': '{}',
      'README.md': 'readme',
      'debug.log': 'noise',
      'apps/api/Dockerfile': 'FROM scratch\nCOPY apps/api/src /src\n',
      'apps/api/src/server.ts': 'serve()',
      'apps/api/src/trace.log': 'noise',
      'apps/api/dist/server.js': 'built',
      'apps/web/index.html': '<html>',
      'node_modules/dep/index.js': 'dependency',
    });
  });

  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("follows Docker's ignore rules: order, re-includes, folders, ** and comments", () => {
    const patterns = parseIgnorePatterns(['# only what the build reads', '*', '!package.json', '!apps/api/src', '**/*.log', ''].join('\n'));
    assert.deepEqual(contextFiles(root, patterns), ['apps/api/src/server.ts', 'package.json']);
    assert.equal(isIgnored(patterns, 'node_modules/dep/index.js'), true);
    assert.equal(isIgnored(patterns, 'apps/api/src/deep/er.ts'), false);
    assert.deepEqual(contextFiles(root, parseIgnorePatterns('node_modules\napps/*/dist\n*.md\n')), [
      'apps/api/Dockerfile',
      'apps/api/src/server.ts',
      'apps/api/src/trace.log',
      'apps/web/index.html',
      'debug.log',
      'package.json',
    ]);
    assert.deepEqual(contextFiles(root, parseIgnorePatterns('**\n')), []);
  });

  it("prefers the Dockerfile's own ignore file to the context's", () => {
    const dockerfile = path.join(root, 'apps/api/Dockerfile');
    assert.equal(ignoreFileFor(root, dockerfile), undefined);
    fs.writeFileSync(path.join(root, '.dockerignore'), 'node_modules\n');
    assert.equal(ignoreFileFor(root, dockerfile), path.join(root, '.dockerignore'));
    fs.writeFileSync(`${dockerfile}.dockerignore`, '**\n');
    assert.equal(ignoreFileFor(root, dockerfile), `${dockerfile}.dockerignore`);
  });

  it('changes the digest when a file the build sees changes, and only then', () => {
    const dockerfile = path.join(root, 'apps/api/Dockerfile');
    fs.writeFileSync(`${dockerfile}.dockerignore`, '*\n!apps/api/src\n');
    const before = buildContextDigest(root, dockerfile);
    assert.match(before, /^[0-9a-f]{64}$/);

    fs.writeFileSync(path.join(root, 'apps/web/index.html'), '<html lang="en">');
    assert.equal(buildContextDigest(root, dockerfile), before, 'a file outside the context changes nothing');

    fs.writeFileSync(path.join(root, 'apps/api/src/server.ts'), 'serve(8080)');
    const edited = buildContextDigest(root, dockerfile);
    assert.notEqual(edited, before, 'an edited source is a new image');

    fs.writeFileSync(path.join(root, 'apps/api/src/routes.ts'), 'route()');
    const added = buildContextDigest(root, dockerfile);
    assert.notEqual(added, edited, 'an added source is a new image');

    fs.writeFileSync(dockerfile, 'FROM scratch\nCOPY apps/api/src /app/src\n');
    assert.notEqual(buildContextDigest(root, dockerfile), added, 'an edited Dockerfile is a new image');
  });

  it('fails clearly when the Dockerfile is missing', () => {
    assert.throws(() => buildContextDigest(root, path.join(root, 'apps/web/Dockerfile')), /Dockerfile not found: .*apps\/web\/Dockerfile/);
  });
});

describe("this repository's images", () => {
  /** Sources of the Dockerfile's `COPY` lines that read the build context (not another stage). */
  function copiedSources(dockerfile: string): string[] {
    const text = fs.readFileSync(dockerfile, 'utf8').replace(/\\\n/g, ' ');
    return [...text.matchAll(/^COPY\s+(.+)$/gm)]
      .map((match) => match[1].trim().split(/\s+/))
      .filter((words) => !words.some((word) => word.startsWith('--from=')))
      .flatMap((words) => words.filter((word) => !word.startsWith('--')).slice(0, -1));
  }

  for (const image of imageNames) {
    it(`${image}: the context sends every file its Dockerfile copies`, () => {
      const { context, dockerfile } = imageSource(repoRoot, image);
      const ignoreFile = ignoreFileFor(context, dockerfile);
      const files = contextFiles(context, ignoreFile ? parseIgnorePatterns(fs.readFileSync(ignoreFile, 'utf8')) : []);
      for (const source of copiedSources(dockerfile)) {
        assert.ok(
          files.some((file) => file === source || file.startsWith(`${source.replace(/\/$/, '')}/`)),
          `${image}: COPY ${source} finds nothing in the context`,
        );
      }
    });

    it(`${image}: the pod runs as the image's numeric user, on the ports it exposes`, () => {
      const text = fs.readFileSync(imageSource(repoRoot, image).dockerfile, 'utf8');
      const users = [...text.matchAll(/^USER\s+(\d+)/gm)].map((match) => Number(match[1]));
      const workload = workloads[image];
      assert.equal(users.at(-1), workload.user, `${image}'s Dockerfile ends with USER ${workload.user}`);
      const exposed = [...text.matchAll(/^EXPOSE\s+(.+)$/gm)].flatMap((match) => match[1].trim().split(/\s+/).map(Number));
      for (const port of [workload.port, ...Object.values(workload.otherPorts ?? {})]) {
        assert.ok(exposed.includes(port), `${image} exposes ${port}`);
      }
    });
  }

  it('gives each image its own content tag', () => {
    const tags = imageNames.map((image) => contentTag(repoRoot, image));
    assert.equal(new Set(tags).size, imageNames.length);
    for (const tag of tags) assert.match(tag, /^[0-9a-f]{16}$/);
  });
});
