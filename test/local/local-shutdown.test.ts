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
import { eventually } from '../../scripts/toolkit/eventually.js';
import { freePort } from '../../scripts/toolkit/ports.js';
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

/** The components, in the order the run lists them. */
const allComponents = 'gateway, books-1, books-2, books-react, postgres';

/** The run said, exactly once, that it stops and why: a repeated signal starts no second stop. */
function assertSaidOnce(lines: readonly string[], why: RegExp): void {
  const stopping = lines.filter((line) => line.startsWith('stopping: '));
  assert.equal(stopping.length, 1, lines.join('\n'));
  assert.match(stopping[0] ?? '', why);
}

describe('npm run local, however it ends', function () {
  this.timeout(90000);
  const startCommand = useLocalCommands();

  for (const signal of ['SIGHUP', 'SIGINT', 'SIGTERM'] as const) {
    it(`stops everything on ${signal} to its process group, sent twice`, async () => {
      const command = startCommand({ GATEWAY_PORT: String(await freePort()) });
      await command.components();
      command.signal(signal);
      command.signal(signal);
      assert.equal((await command.exit).code, 0);
      await assertNothingLeft(command.stdout);
      assertSaidOnce(command.stderr, new RegExp(`^stopping: ${signal === 'SIGINT' ? 'Ctrl-C \\(SIGINT\\)' : signal}`));
    });
  }

  it('stops everything on Ctrl-C twice in a terminal: SIGINT twice to the group of `npm run local`, which npm passes on too', async function () {
    // The README's command, build included. Each Ctrl-C reaches npm and the run alike, and npm
    // passes its own on: the run gets SIGINT four times, the first while nothing has stopped.
    this.timeout(240000);
    const command = startCommand({ GATEWAY_PORT: String(await freePort()) }, [], 'npm');
    await command.components(200000);
    command.signal('SIGINT');
    command.signal('SIGINT');
    assert.equal((await command.exit).code, 0);
    await assertNothingLeft(command.stdout);
    assertSaidOnce(command.stderr, /^stopping: Ctrl-C \(SIGINT\)$/);
    assert.ok(command.stderr.includes(`stopped: ${allComponents}`), command.stderr.join('\n'));
  });

  it('stops everything when npm alone gets SIGHUP (a closing terminal, a nohup setup), and the next run starts on its port', async function () {
    // npm passes on SIGINT and SIGTERM only: SIGHUP ends npm and leaves the run without a parent.
    this.timeout(360000);
    const port = String(await freePort());
    const command = startCommand({ GATEWAY_PORT: port }, [], 'npm');
    await command.components(200000);
    process.kill(command.pid, 'SIGHUP');
    await command.exit;
    await assertNothingLeft(command.stdout);
    assertSaidOnce(command.stderr, new RegExp(`^stopping: the process that started it \\(pid ${command.pid}\\) ended$`));

    const next = startCommand({ GATEWAY_PORT: port }, [], 'npm');
    const [gateway] = await next.components(200000);
    assert.equal(gateway?.url, `http://127.0.0.1:${port}`);
    assert.equal((await request(`${gateway.url}/books`)).status, 200);
    process.kill(next.pid, 'SIGTERM');
    await next.exit;
    await assertNothingLeft(next.stdout);
  });

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
    const lines = () =>
      readFile(printed, 'utf8').then(
        (text) => text.split('\n'),
        () => [],
      );
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
      assert.ok(
        command.stderr.some((line) => line.startsWith('npm run local: Error: injected failure')),
        command.stderr.join('\n'),
      );
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
