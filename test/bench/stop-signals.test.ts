/**
 * Ctrl-C on `npm run bench` while it measures: a terminal sends SIGINT to the whole process group
 * (npm passes its own on, so the bench gets it twice, and an impatient user presses it again).
 * The servers it drives load at (books, PostgreSQL, the page, every nginx and peer) run in
 * process groups of their own, so only the bench's clean-up stops them: a second signal must not
 * cut it short.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../../scripts/toolkit/eventually.js';
import { runCommand } from '../cluster/support/cluster-process.js';

/** The run folders of the bench, its local system and its profile (books-gateway-bench-*, -local-*, -profile-*). */
const runFolders = () => readdirSync(tmpdir()).filter((name) => /^books-gateway-(bench|local|profile)-/.test(name));

/** Processes whose command line names one of `folders`: every server the bench starts names its own. */
function processesIn(folders: readonly string[]): string[] {
  return readdirSync('/proc').flatMap((pid) => {
    if (!/^\d+$/.test(pid)) return [];
    try {
      const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      return folders.some((folder) => commandLine.includes(folder)) ? [`${pid} ${commandLine}`] : [];
    } catch {
      // It ended while we looked.
      return [];
    }
  });
}

/** Its run folders made since `before`, once at least `count` exist and servers run from them. */
async function foldersInUse(before: ReadonlySet<string>, count: number): Promise<string[]> {
  let folders: string[] = [];
  await eventually(
    `${count} run folders with servers in them`,
    () => {
      folders = runFolders()
        .filter((name) => !before.has(name))
        .map((name) => join(tmpdir(), name));
      return folders.length >= count && folders.every((folder) => processesIn([folder]).length > 0);
    },
    60_000,
    100,
  );
  return folders;
}

describe('npm run bench, Ctrl-C twice in a terminal', function () {
  this.timeout(240_000);

  // The load: the bench's servers and its local system's; the profile: those and the server callgrind counts.
  const cases: ReadonlyArray<[what: string, options: string[], printed: RegExp, folders: number]> = [
    ['while it measures the load', ['--quick'], /^gateway cases:$/m, 2],
    ['while it counts instructions', ['--sections', 'profile'], /^instructions per request \(callgrind\):$/m, 3],
  ];
  for (const [what, options, printed, count] of cases) {
    it(`${what}, stops every server it started, removes their folders, says so once and exits 130`, async () => {
      const before = new Set(runFolders());
      const bench = runCommand('npm', ['run', 'bench', '--', ...options], { detached: true });
      const group = bench.child.pid;
      assert.ok(group !== undefined, 'npm run bench started');
      await bench.printed(printed);
      const folders = await foldersInUse(before, count);

      process.kill(-group, 'SIGINT');
      process.kill(-group, 'SIGINT');

      assert.equal(await bench.exited, 130, bench.output());
      assert.equal(
        bench.output().match(/^stopping: Ctrl-C \(SIGINT\)$/gm)?.length,
        1,
        `one stop, however many signals:\n${bench.output()}`,
      );
      await eventually('no server of the bench is left', () => processesIn(folders).length === 0, 10_000, 250).catch((error: Error) => {
        throw new Error(`${error.message}:\n${processesIn(folders).join('\n')}`);
      });
      for (const folder of folders) assert.ok(!existsSync(folder), `${folder} is removed`);
      assert.deepEqual(
        runFolders().filter((name) => !before.has(name)),
        [],
        'nor any run folder made after those',
      );
    });
  }
});
