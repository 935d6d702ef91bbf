import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Told about every child a supervisor starts and sees end, so none outlives whoever started it. */
export interface ProcessGuard {
  /** A child started, as the leader of its own process group. */
  watch(pid: number): void;
  /** That child has ended. */
  release(pid: number): void;
}

/** The account a process runs as, by its numeric ids. */
export interface ProcessAccount {
  readonly uid: number;
  readonly gid: number;
}

export interface ProcessSpec {
  /** Component name used in logs and messages, e.g. `books-1`. */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** The account it runs as (started as root, a daemon that refuses root); default: ours. */
  user?: ProcessAccount;
}

/** Receives every line a process writes, stdout and stderr alike. */
export type OutputListener = (component: string, line: string) => void;

/** Called when a process ends without having been asked to. */
export type UnexpectedExitListener = (component: string, description: string) => void;

/** Lines kept per process so a failure message can show what the process last said. */
const recentLineCount = 20;

/** How long a process may take to stop after SIGTERM before its whole group is killed. */
const stopGraceMs = 5000;

/**
 * A child process that can be started, stopped, killed and started again (a restart keeps its
 * spec, so the same port). It runs in its own process group: a terminal's Ctrl-C reaches only
 * the local run, which then stops children in order, and a forced kill also reaches nginx's
 * workers.
 */
export class ManagedProcess {
  private child: ChildProcess | undefined;
  private exit: Promise<void> = Promise.resolve();
  private readonly recent: string[] = [];

  constructor(
    readonly spec: ProcessSpec,
    private readonly onOutput: OutputListener,
    private readonly onUnexpectedExit: UnexpectedExitListener,
    /** Told when the process starts and ends, so it does not outlive whoever started it. */
    private readonly guard?: ProcessGuard,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Process id while running. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The last lines the process wrote, for error messages. */
  recentOutput(): string {
    return this.recent.join(' | ');
  }

  start(): void {
    if (this.child) throw new Error(`${this.name} is already running`);
    const child = spawn(this.spec.command, this.spec.args, {
      env: this.spec.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      // libuv also drops the supplementary groups when it switches the ids.
      uid: this.spec.user?.uid,
      gid: this.spec.user?.gid,
    });
    this.child = child;
    this.recent.length = 0;
    const { pid } = child;
    if (pid !== undefined) this.guard?.watch(pid);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => this.record(line));
    }
    // 'close' (not 'exit') so the last output lines are read before anyone looks at them.
    this.exit = new Promise((resolve) => {
      child.once('error', (error) => {
        this.record(error.message);
        this.child = undefined;
        resolve();
      });
      child.once('close', (code, signal) => {
        if (pid !== undefined) this.guard?.release(pid);
        const wasCurrent = this.child === child;
        this.child = undefined;
        resolve();
        if (wasCurrent) this.onUnexpectedExit(this.name, describeExit(code, signal));
      });
    });
  }

  /** Resolves when the process has ended (at once if it is not running). */
  exited(): Promise<void> {
    return this.exit;
  }

  /** Asks the process to stop (SIGTERM: graceful), kills its group if it takes too long. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.release();
    if (!child) return;
    sendSignal(child, signal, false);
    // A paused process (SIGSTOP, a fault test's hung backend) only acts on SIGTERM once resumed.
    sendSignal(child, 'SIGCONT', false);
    const timer = setTimeout(() => sendSignal(child, 'SIGKILL', true), stopGraceMs);
    await this.exit;
    clearTimeout(timer);
  }

  /** Ends the process at once, as a crash would (fault tests), with its whole group. */
  async kill(): Promise<void> {
    const child = this.release();
    if (!child) return;
    sendSignal(child, 'SIGKILL', true);
    await this.exit;
  }

  /** Sends a signal without expecting the process to end (nginx: SIGHUP reloads; SIGSTOP pauses). */
  signal(signal: NodeJS.Signals): void {
    if (!this.child) throw new Error(`${this.name} is not running`);
    sendSignal(this.child, signal, false);
  }

  /** Forgets the child first, so its end is not reported as unexpected. */
  private release(): ChildProcess | undefined {
    const child = this.child;
    this.child = undefined;
    return child;
  }

  private record(line: string): void {
    this.recent.push(line);
    if (this.recent.length > recentLineCount) this.recent.shift();
    this.onOutput(this.name, line);
  }
}

function sendSignal(child: ChildProcess, signal: NodeJS.Signals, wholeGroup: boolean): void {
  if (child.pid === undefined) return;
  try {
    process.kill(wholeGroup ? -child.pid : child.pid, signal);
  } catch (error) {
    // ESRCH: it ended meanwhile, which is what we wanted.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `killed by ${signal}` : `exited with code ${code}`;
}
