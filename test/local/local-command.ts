import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { eventually } from '../support/eventually.js';

const repoRoot = join(__dirname, '../..');

/** A component line `npm run local` prints: `books-1      http://127.0.0.1:40123  (pid 4242)`. */
const componentLine = /^(gateway|books-\d+|books-react)\s+(http:\/\/127\.0\.0\.1:\d+)\s+\(pid (\d+)\)$/;

export interface PrintedComponent {
  name: string;
  url: string;
  pid: number;
}

/**
 * `npx tsx scripts/local.ts` as a user starts it (in its own process group, as a terminal
 * would), with what it prints collected.
 */
export class LocalCommand {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;

  constructor(env: NodeJS.ProcessEnv) {
    this.child = spawn('npx', ['tsx', 'scripts/local.ts'], {
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

  /** The component lines, once the command says the system is up. */
  async components(timeoutMs = 60000): Promise<PrintedComponent[]> {
    await eventually('npm run local reports the system up', async () => {
      if (this.child.exitCode !== null) throw new Error(`npm run local exited: ${this.stderr.join(' | ')}`);
      return this.stdout.some((line) => line.startsWith('Open http://'));
    }, timeoutMs);
    return this.stdout.flatMap((line) => {
      const match = componentLine.exec(line);
      return match ? [{ name: match[1] ?? '', url: match[2] ?? '', pid: Number(match[3]) }] : [];
    });
  }

  /** A signal to the command's whole process group, as a terminal sends Ctrl-C. */
  signal(signal: NodeJS.Signals): void {
    if (this.child.pid !== undefined) process.kill(-this.child.pid, signal);
  }

  /** Test clean-up: whatever happened, nothing it started may survive the test. */
  async forceStop(components: readonly PrintedComponent[]): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.signal('SIGTERM');
      await Promise.race([this.exit, new Promise((resolve) => setTimeout(resolve, 10000))]);
    }
    for (const pid of [this.child.pid, ...components.map(({ pid }) => pid)]) {
      if (pid !== undefined && isAlive(pid)) process.kill(-pid, 'SIGKILL');
    }
  }
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
