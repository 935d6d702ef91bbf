/**
 * `.mocharc.json` finds every `test/**\/*.test.ts` by itself, so that naming one file (or a
 * folder, or a --grep) runs just that, and `npm test` (mocha with no file) still runs everything.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './local-command.js';

const execFileAsync = promisify(execFile);

/** The files of the tests `npx mocha ARGS` would run (a dry run: nothing is executed). */
async function testFiles(args: string[]): Promise<Set<string>> {
  const { stdout } = await execFileAsync('npx', ['mocha', '--dry-run', '--reporter', 'json', ...args], {
    cwd: repoRoot,
    maxBuffer: 16 * 1024 * 1024,
  });
  const report = JSON.parse(stdout) as { tests: Array<{ file: string }> };
  return new Set(report.tests.map(({ file }) => relative(repoRoot, file)));
}

function allTestFiles(folder: string): string[] {
  return readdirSync(join(repoRoot, folder), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? allTestFiles(join(folder, entry.name)) : entry.name.endsWith('.test.ts') ? [join(folder, entry.name)] : [],
  );
}

describe('running the tests with mocha', function () {
  // A dry run still loads every test file and what it imports (the Pulumi SDKs among them).
  this.timeout(120000);

  it('runs only the file it is given', async () => {
    assert.deepEqual([...(await testFiles(['test/local/gateway-env.test.ts']))], ['test/local/gateway-env.test.ts']);
  });

  it('runs every test file when given none, and a --grep picks among all of them', async () => {
    const every = await testFiles([]);
    assert.deepEqual([...every].sort(), allTestFiles('test').sort());
    const grepped = await testFiles(['--grep', 'signs with the development key']);
    assert.deepEqual([...grepped], ['test/local/token.test.ts']);
  });
});
