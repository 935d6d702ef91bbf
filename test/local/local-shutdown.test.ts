/**
 * However `npm run local` ends, nothing it started survives it: every test runs the real
 * command, ends it one way, and checks that no component process, no port and no run folder is
 * left.
 */
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from '../gateway/support/http.js';
import { eventually } from '../../scripts/eventually.js';
import { freePort } from '../../scripts/local/ports.js';
import { assertNothingLeft, repoRoot, useLocalCommands } from './local-command.js';

/** The processes running this checkout's compilers (`node_modules/.bin/tsc`, `vite`). */
function buildProcesses(): string[] {
  const tools = join(repoRoot, 'node_modules');
  return readdirSync('/proc').flatMap((pid) => {
    if (!/^\d+$/.test(pid)) return [];
    try {
      const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      return commandLine.includes(tools) && /\b(tsc|vite)\b/.test(commandLine) ? [`${pid} ${commandLine}`] : [];
    } catch {
      return [];
    }
  });
}

describe('npm run local, however it ends', function () {
  this.timeout(90000);
  const startCommand = useLocalCommands();


  for (const signal of ['SIGHUP', 'SIGINT', 'SIGTERM'] as const) {
    it(`stops everything on ${signal} to its process group`, async () => {
      const command = startCommand({ GATEWAY_PORT: String(await freePort()) });
      await command.components();
      command.signal(signal);
      assert.equal((await command.exit).code, 0);
      await assertNothingLeft(command.stdout);
    });
  }

  it('stops everything when SIGTERM reaches `npm run local` itself, as a process manager sends it', async function () {
    // The README's command, build included: npm passes SIGTERM on to the process it execs.
    this.timeout(240000);
    const command = startCommand({ GATEWAY_PORT: String(await freePort()) }, [], 'npm');
    await command.components(200000);
    process.kill(command.pid, 'SIGTERM');
    await command.exit;
    await assertNothingLeft(command.stdout);
  });

  it('stops the build when SIGTERM reaches `npm run local` while it builds', async function () {
    this.timeout(120000);
    const command = startCommand({ GATEWAY_PORT: String(await freePort()) }, [], 'npm');
    // The build's output goes to stderr; npm announces each workspace's build script there.
    await eventually('the build has started', () => command.stderr.some((line) => /^> books(-react)?@[\d.]+ build$/.test(line)), 60000);
    process.kill(command.pid, 'SIGTERM');
    await command.exit;
    await eventually('no compiler of this checkout runs any more', () => buildProcesses().length === 0, 5000);
    assert.ok(!command.stdout.some((line) => line.startsWith('Open ')), 'the system was not started');
  });

  it('stops everything when the command reading its output exits (EPIPE on stdout)', async () => {
    const port = await freePort();
    const printed = join(tmpdir(), `local-shutdown-${process.pid}-${port}.txt`);
    const lines = () => readFile(printed, 'utf8').then((text) => text.split('\n'), () => []);
    // sed keeps the lines up to the "Open" line, then exits: the next line the run writes has no reader.
    const command = startCommand(
      { GATEWAY_PORT: String(port) },
      [`'${process.execPath}' --import tsx scripts/local.ts | sed -u '/^Open /q' > '${printed}'`],
      'shell',
    );
    try {
      await eventually('the run is up', async () => (await lines()).some((line) => line.startsWith('Open ')), 60000);
      const output = await lines();
            // A request makes the books API log a line, which the run passes on to its closed stdout;
      // the run may stop before it answers, so the request itself may fail.
      await request(`http://127.0.0.1:${port}/books`).catch(() => undefined);
      await command.exit;
      await assertNothingLeft(output);
    } finally {
      await rm(printed, { force: true });
    }
  });

  it('stops everything after an uncaught error, and exits 1 saying what it was', async () => {
    // A real uncaught exception inside the run: a module preloaded into it throws from a signal handler.
    const thrower = join(tmpdir(), `local-shutdown-thrower-${process.pid}.mjs`);
    await writeFile(thrower, "process.on('SIGUSR2', () => { throw new Error('injected failure'); });\n");
    try {
      const command = startCommand({ GATEWAY_PORT: String(await freePort()), NODE_OPTIONS: `--import ${thrower}` });
      await command.components();
      process.kill(command.pid, 'SIGUSR2');
      assert.equal((await command.exit).code, 1);
      assert.ok(command.stderr.some((line) => line.startsWith('npm run local: Error: injected failure')), command.stderr.join('\n'));
      await assertNothingLeft(command.stdout);
    } finally {
      await rm(thrower, { force: true });
    }
  });

  it('when SIGKILLed, its components end within 2 s and free their ports, and its folder goes', async () => {
    const command = startCommand({ GATEWAY_PORT: String(await freePort()) });
    await command.components();
    process.kill(command.pid, 'SIGKILL');
    await assertNothingLeft(command.stdout, 2000);
  });
});
