/**
 * Each image's inputs are only what it uses: a change to the Pulumi program's dependencies (an SDK
 * bump) keeps both app images' content tags, so their pods do not roll, while a change to an app's
 * own source or lockfile gives it a new tag. Checked on a copy of this repository's files.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { contextFiles, ignoreFileFor, parseIgnorePatterns } from '../../components/build-context.js';
import { contentTag, imageSource } from '../../components/images.js';
import { imageNames, type ImageName } from '../../components/target.js';

const repoRoot = path.resolve(__dirname, '../..');

function tags(root: string): Record<ImageName, string> {
  return Object.fromEntries(imageNames.map((image) => [image, contentTag(root, image)])) as Record<ImageName, string>;
}

function edit(root: string, file: string, change: (text: string) => string): void {
  const target = path.join(root, file);
  const before = fs.readFileSync(target, 'utf8');
  const after = change(before);
  assert.notEqual(after, before, `the edit changes ${file}`);
  fs.writeFileSync(target, after);
}

describe('image inputs', () => {
  let root: string;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'build-context-inputs-'));
    const files = execFileSync('git', ['ls-files', '-z'], { cwd: repoRoot, encoding: 'utf8' }).split('\0').filter(Boolean);
    for (const file of files) {
      if (!fs.existsSync(path.join(repoRoot, file))) continue;
      fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      fs.copyFileSync(path.join(repoRoot, file), path.join(root, file));
    }
  });

  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("a bump of a dependency only the program uses changes no app image's tag", () => {
    const before = tags(root);
    const pulumi = '@pulumi/pulumi';
    const version = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> })
      .dependencies[pulumi];
    const bumped = version.replace(/\d+$/, (patch) => String(Number(patch) + 1));
    edit(root, 'package.json', (text) => text.replace(`"${pulumi}": "${version}"`, `"${pulumi}": "${bumped}"`));
    edit(root, 'package-lock.json', (text) =>
      text
        .replaceAll(`"version": "${version}"`, `"version": "${bumped}"`)
        .replaceAll(`"${pulumi}": "${version}"`, `"${pulumi}": "${bumped}"`),
    );
    const after = tags(root);
    assert.equal(after.books, before.books);
    assert.equal(after['books-react'], before['books-react']);
    assert.equal(after.gateway, before.gateway);
  });

  it("a change to an app's own source or lockfile gives that image, and only it, a new tag", () => {
    const before = tags(root);
    edit(root, 'apps/books/src/book.ts', (text) => `${text}\n// a change\n`);
    const afterBooks = tags(root);
    assert.notEqual(afterBooks.books, before.books);
    assert.equal(afterBooks['books-react'], before['books-react']);

    edit(root, 'apps/books-react/package-lock.json', (text) => text.replace('"lockfileVersion": 3', '"lockfileVersion": 3 '));
    const afterPage = tags(root);
    assert.notEqual(afterPage['books-react'], before['books-react']);
    assert.equal(afterPage.books, afterBooks.books);
  });

  for (const image of ['books', 'books-react'] as const) {
    it(`${image}: the build context holds its own lockfile and none of the program's files`, () => {
      const { context, dockerfile } = imageSource(repoRoot, image);
      const ignoreFile = ignoreFileFor(context, dockerfile);
      assert.ok(ignoreFile, `${image} has an ignore file`);
      const files = contextFiles(context, parseIgnorePatterns(fs.readFileSync(ignoreFile, 'utf8')));
      assert.ok(files.includes(`apps/${image}/package-lock.json`));
      assert.deepEqual(
        files.filter((file) => !file.startsWith(`apps/${image}/`)),
        [],
      );
      assert.deepEqual(
        files.filter((file) => /(^|\/)(node_modules|dist)\//.test(file)),
        [],
      );
    });
  }
});
