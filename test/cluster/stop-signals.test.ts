/**
 * Ctrl-C in a terminal on `npm run cluster` and `npm run rehearse`. A terminal sends SIGINT to the
 * whole process group: to npm, which passes it on, and to the command, which so gets it twice,
 * and to every child in the group (kubectl, the Pulumi CLI); an impatient user presses it again.
 * Each test starts the command as a terminal does, in a process group of its own, signals the
 * group twice in quick succession, and checks that the command exits 0 having removed everything
 * it made: no process of its run or its group, no pod container, no run folder. Once the command
 * runs, and while it starts, where a stop has the most to catch up with.
 * These need the Docker engine to themselves (one cluster per engine): the shared cluster stops first.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { eventually } from '../../scripts/toolkit/eventually.js';
import { runLayout } from '../../scripts/cluster/layout.js';
import { freePort } from '../../scripts/toolkit/ports.js';
import { rehearsalDir } from '../../scripts/rehearse/rehearsal.js';
import { request } from '../gateway/support/http.js';
import { docker } from '../../scripts/toolkit/docker.js';
import { runCommand, stopSharedCluster, type CommandRun } from './support/cluster-process.js';

const layout = runLayout();

/** Processes whose command line names the cluster's run folder (every host process's does), or in `group`. */
function processesLeft(group: number): string[] {
  return readdirSync('/proc').flatMap((pid) => {
    if (!/^\d+$/.test(pid)) return [];
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [state, , pgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z') return [];
      const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      return Number(pgid) === group || commandLine.includes(layout.root) ? [`${pid} ${commandLine}`] : [];
    } catch {
      // It ended while we looked.
      return [];
    }
  });
}

/** `npm run <args>` in a process group of its own, as a terminal starts it. */
function inTerminal(args: string[], env: NodeJS.ProcessEnv = {}): CommandRun & { pid: number } {
  const run = runCommand('npm', ['run', ...args], { detached: true, env });
  const pid = run.child.pid;
  if (pid === undefined) throw new Error(`npm run ${args.join(' ')} did not start`);
  return { ...run, pid };
}

/** Ctrl-C pressed twice: SIGINT to the whole group, twice in quick succession. */
function ctrlCTwice(pid: number): void {
  process.kill(-pid, 'SIGINT');
  process.kill(-pid, 'SIGINT');
}

/** The command exits 0, and within a bounded wait nothing it made is left. */
async function assertStoppedClean(command: CommandRun & { pid: number }, folders: string[]): Promise<void> {
  assert.equal(await command.exited, 0, command.output());
  assert.equal(command.output().match(/stopping: Ctrl-C \(SIGINT\)/g)?.length, 1, `one stop, however many signals:\n${command.output()}`);
  await eventually('no process of the run is left', () => processesLeft(command.pid).length === 0, 30_000, 500).catch((error: Error) => {
    throw new Error(`${error.message}:\n${processesLeft(command.pid).join('\n')}`);
  });
  assert.equal((await docker(['ps', '-aq', '--filter', 'label=io.kubernetes.pod.uid'])).trim(), '', 'no pod container is left');
  for (const folder of [layout.root, ...folders]) assert.ok(!existsSync(folder), `${folder} is removed`);
}

describe('Ctrl-C twice in a terminal, on npm run cluster and npm run rehearse', function () {
  this.timeout(1_800_000);
  let command: (CommandRun & { pid: number }) | undefined;

  before(async function () {
    this.timeout(600_000);
    await stopSharedCluster();
  });
  afterEach(async function () {
    this.timeout(600_000);
    // A failed test's command is stopped all the same, so that the next finds the engine free.
    if (command && command.child.exitCode === null) {
      process.kill(-command.pid, 'SIGTERM');
      await command.exited;
    }
    command = undefined;
  });

  it('npm run cluster, while it starts (its first processes up), stops them and removes everything', async () => {
    command = inTerminal(['cluster', '--', '--stand-in-base-images']);
    await eventually('etcd has started', () => existsSync(path.join(layout.logs, 'etcd.log')), 1_200_000, 250);
    ctrlCTwice(command.pid);
    await assertStoppedClean(command, []);
  });

  it('npm run cluster, once it runs, stops it and removes everything', async () => {
    command = inTerminal(['cluster', '--', '--stand-in-base-images']);
    await command.printed(/^cluster: running;/m);
    ctrlCTwice(command.pid);
    await assertStoppedClean(command, []);
  });

  it('npm run rehearse, while pulumi up deploys, cancels it and removes the cluster it started, and the rehearsal', async () => {
    command = inTerminal(['rehearse', '--', '--stand-in-base-images'], { GATEWAY_PORT: String(await freePort()) });
    await command.printed(/^Updating \(dev\)/m);
    ctrlCTwice(command.pid);
    await assertStoppedClean(command, [rehearsalDir('dev')]);
  });

  it('npm run rehearse, once the gateway serves, applies a change with the options it runs with, then removes the cluster it started and the rehearsal, and frees the port', async () => {
    const port = await freePort();
    command = inTerminal(['rehearse', '--', '--stand-in-base-images'], { GATEWAY_PORT: String(port) });
    await command.printed(/^Ready in [\d.]+ s\. The gateway: \S+/m);
    assert.equal((await request(`http://127.0.0.1:${port}/books`)).status, 200);
    // The README's --apply example, without --stand-in-base-images: it takes the running
    // rehearsal's (a build from the official bases would fail here, where no registry answers).
    const apply = runCommand('npm', ['run', 'rehearse', '--', '--apply', '--config', 'booksReplicas=3'], {
      env: { GATEWAY_PORT: String(port) },
    });
    assert.equal(await apply.exited, 0, apply.output());
    assert.match(apply.output(), /applying to the rehearsal of dev \(pid \d+, stand-in base images\)/);
    const books = await docker(['ps', '-q', '--filter', 'label=io.kubernetes.container.name=books']);
    assert.equal(books.trim().split('\n').length, 3, 'booksReplicas 3 runs three books containers');
    ctrlCTwice(command.pid);
    await assertStoppedClean(command, [rehearsalDir('dev')]);
    await assert.rejects(request(`http://127.0.0.1:${port}/`), TypeError, 'the gateway no longer answers');
  });
});
