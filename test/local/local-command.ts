import { strict as assert } from 'node:assert';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { request } from '../gateway/support/http.js';
import { ensureServicesBuilt } from '../gateway/support/system.js';
import { eventually } from '../../scripts/toolkit/eventually.js';

export const repoRoot = join(__dirname, '../..');

/** A component line `npm run local` prints: `books-1      http://127.0.0.1:40123  (pid 4242)`. */
const componentLine = /^(gateway|books-\d+|books-react|postgres)\s+(http:\/\/127\.0\.0\.1:\d+|postgresql:\/\/\S+)\s+\(pid (\d+)\)$/;

export interface PrintedComponent {
  name: string;
  url: string;
  pid: number;
}

/**
 * How the command is started: `node`: `node --import tsx scripts/local.ts ARGS`, the process
 * that runs the system (what `npm run local` execs); `npm`: `npm run local -- ARGS` as the
 * README gives it, which builds first; `shell`: ARGS is a shell command line (pipes).
 */
export type Launch = 'node' | 'npm' | 'shell';

/**
 * The local run as a user starts it (in its own process group, as a terminal would), with
 * what it prints collected.
 */
export class LocalCommand {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;

  constructor(env: NodeJS.ProcessEnv, args: string[] = [], launch: Launch = 'node') {
    const [command, commandArgs] =
      launch === 'node'
        ? [process.execPath, ['--import', 'tsx', 'scripts/local.ts', ...args]]
        : launch === 'npm'
          ? ['npm', ['run', 'local', '--', ...args]]
          : ['bash', ['-c', args.join(' ')]];
    this.child = spawn(command, commandArgs, {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const { stdout, stderr } = this.child;
    if (!stdout || !stderr) throw new Error('no output pipes');
    createInterface({ input: stdout }).on('line', (line) => this.stdout.push(line));
    createInterface({ input: stderr }).on('line', (line) => this.stderr.push(line));
    this.exit = once(this.child, 'close').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
  }

  /** The process started: the system's supervisor with `node`, npm or bash otherwise. */
  get pid(): number {
    if (this.child.pid === undefined) throw new Error('not started');
    return this.child.pid;
  }

  /** The component lines, once the command says the system is up. */
  async components(timeoutMs = 60000): Promise<PrintedComponent[]> {
    await this.printed(/^Open http:\/\//, timeoutMs);
    return printedComponents(this.stdout);
  }

  /** Waits for a line on stdout matching `pattern`; returns it. */
  async printed(pattern: RegExp, timeoutMs = 60000): Promise<string> {
    await eventually(
      `npm run local prints ${pattern}`,
      () => {
        if (this.child.exitCode !== null) throw new Error(`npm run local exited: ${this.stderr.join(' | ')}`);
        return this.stdout.some((line) => pattern.test(line));
      },
      timeoutMs,
    );
    return this.stdout.find((line) => pattern.test(line)) ?? '';
  }

  /** A signal to the command's whole process group, as a terminal sends Ctrl-C. */
  signal(signal: NodeJS.Signals): void {
    process.kill(-this.pid, signal);
  }

  /** Test clean-up: whatever happened, nothing it started may survive the test. */
  async forceStop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.signal('SIGTERM');
      await Promise.race([this.exit, new Promise((resolve) => setTimeout(resolve, 10000))]);
    }
    for (const pid of [this.child.pid, ...printedComponents(this.stdout).map(({ pid }) => pid)]) {
      if (pid !== undefined && isAlive(pid)) process.kill(-pid, 'SIGKILL');
    }
  }
}

/**
 * For a describe block that runs the command: builds the services once before its tests, and
 * after each test stops whatever the commands it started left running. Returns the way to start one.
 */
export function useLocalCommands(): (env: NodeJS.ProcessEnv, args?: string[], launch?: Launch) => LocalCommand {
  const started: LocalCommand[] = [];
  before(function () {
    this.timeout(150000);
    ensureServicesBuilt();
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((command) => command.forceStop()));
  });
  return (env, args, launch) => {
    const command = new LocalCommand(env, args, launch);
    started.push(command);
    return command;
  };
}

/** The components of the lines the run printed. */
export function printedComponents(lines: readonly string[]): PrintedComponent[] {
  return lines.flatMap((line) => {
    const match = componentLine.exec(line);
    return match ? [{ name: match[1] ?? '', url: match[2] ?? '', pid: Number(match[3]) }] : [];
  });
}

/** The status URL and run folder of the "Open ..." line the run printed. */
function runInfo(lines: readonly string[]): { statusUrl: string; runFolder: string } {
  const open = lines.find((line) => line.startsWith('Open ')) ?? '';
  const statusUrl = /Gateway health: (\S+),/.exec(open)?.[1] ?? '';
  const accessLog = /access log: (\S+)\./.exec(open)?.[1] ?? '';
  return { statusUrl, runFolder: dirname(dirname(dirname(accessLog))) };
}

/** Whether a process still runs; a zombie (ended, not yet reaped) has stopped. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Asserts that a run, given the lines it printed, left nothing behind within `timeoutMs`: no component process, no port
 * answering (each component's and the gateway's status port), no run folder.
 */
export async function assertNothingLeft(printed: readonly string[], timeoutMs = 10000): Promise<void> {
  const components = printedComponents(printed);
  assert.equal(components.length, 5, `the components were printed: ${printed.join(' | ')}`);
  const { statusUrl, runFolder } = runInfo(printed);
  assert.match(runFolder, /books-gateway-local-/);
  await eventually('every component has stopped', () => components.every(({ pid }) => !isAlive(pid)), timeoutMs);
  // PostgreSQL listens on a socket in the run folder only, which goes with the folder.
  const httpUrls = components.map(({ url }) => url).filter((url) => url.startsWith('http://'));
  for (const url of [...httpUrls, statusUrl]) {
    await assert.rejects(request(url), TypeError, `${url} no longer answers`);
  }
  await eventually('the run folder is removed', () => !existsSync(runFolder), timeoutMs);
}
