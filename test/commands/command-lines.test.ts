/**
 * One command-line convention for every command in package.json, as a user types it: `--help`
 * prints the usage and exits 0 before the command does anything (no build, no package check, no
 * root needed), and an option it does not know exits 2 with the problem and the usage, never
 * running with the option ignored.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as path from 'node:path';

const repoRoot = path.resolve(__dirname, '../..');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

function npm(args: string[]): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile('npm', ['--silent', ...args], { cwd: repoRoot, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr, seconds: (Date.now() - started) / 1000 });
    });
  });
}

/** Each command, as `npm` runs it, and how its usage starts. */
const commands: ReadonlyArray<[args: string[], usage: RegExp]> = [
  [['test', '--'], /Usage: npm test/],
  [['run', 'local', '--'], /Usage: npm run local/],
  [['run', 'token', '--'], /Usage: npm run (-s )?token/],
  [['run', 'render', '--'], /Usage: npm run render/],
  [['run', 'rehearse', '--'], /Usage: npm run rehearse/],
  [['run', 'cluster', '--'], /Usage: npm run cluster/],
  [['run', 'bench', '--'], /Usage: npm run bench/],
  [['run', 'lint', '--'], /Usage: npm run lint/],
];

describe('every command answers --help and refuses an unknown option', function () {
  this.timeout(120_000);

  for (const [args, usage] of commands) {
    const name = `npm ${args.slice(0, -1).join(' ')}`;
    it(`${name}: --help prints its usage and exits 0; --halp exits 2 naming it, with the usage`, async () => {
      const help = await npm([...args, '--help']);
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, usage);
      const unknown = await npm([...args, '--halp']);
      assert.equal(unknown.code, 2, `${unknown.stdout}\n${unknown.stderr}`);
      assert.match(unknown.stderr, /Unknown option '--halp'/);
      assert.match(unknown.stderr, usage);
    });
  }

  it('npm run bench: a value it does not take exits 2 naming the values it does, with the usage, before building anything', async () => {
    for (const [option, problem] of [
      [['--nginx', 'podman'], /--nginx: 'podman' is neither of debian, stand-in/],
      [['--sections', 'gateway,speed'], /--sections: 'speed' is none of gateway, static, tuning, profile, metrics, program/],
      [['--rounds', '0'], /--rounds must be a whole number above 0, got '0'/],
    ] as const) {
      const refused = await npm(['run', 'bench', '--', ...option]);
      assert.equal(refused.code, 2, `${option.join(' ')}: ${refused.stdout}\n${refused.stderr}`);
      assert.match(refused.stderr, problem);
      assert.match(refused.stderr, /Usage: npm run bench/);
    }
  });
});
