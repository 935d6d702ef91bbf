/**
 * `npm run cluster -- --stand-in-base-images` as the tests run it: a child process, read until it
 * prints the lines that use it; `stop` sends SIGTERM and waits until it has removed everything.
 * One cluster at a time runs on this machine (its ports and node name are fixed), so the suites
 * share the one `sharedCluster` starts, and a suite that needs another kind stops it first.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');

export interface RunningCluster {
  kubeconfig: string;
  /** The folder of kubectl and the other Kubernetes binaries. */
  kubernetesBin: string;
  dockerConfig: string;
  /** The `baseImages` config that builds on the stand-ins in the cluster's registry. */
  baseImages: string;
  /** The `postgresImage` config: PostgreSQL's stand-in in the cluster's registry. */
  postgresImage: string;
  /** The cluster's image registry, `127.0.0.1:<port>`. */
  registry: string;
  /** Seconds from the command's start to its last line. */
  startSeconds: number;
  /** kubectl on this cluster; rejects with kubectl's own error. */
  kubectl(args: string[], input?: string): Promise<string>;
  /** Sends the cluster command a signal and waits for the line it answers with. */
  signal(signal: 'SIGUSR1' | 'SIGUSR2', answer: RegExp): Promise<void>;
  /** Everything it printed so far. */
  output(): string;
  stop(): Promise<number | null>;
}

function exportValue(text: string, name: string): string {
  const value = new RegExp(`(?:^|\\s)${name}=(\\S+)`, 'm').exec(text)?.[1];
  if (!value) throw new Error(`npm run cluster printed no ${name}:\n${text}`);
  return value;
}

/** A command of this repository run as a child, its stdout and stderr read as they come. */
export interface CommandRun {
  readonly child: ChildProcess;
  /** Resolves once the output since `since` (an offset into it) matches; rejects if the command ends first. */
  readonly printed: (pattern: RegExp, since?: number) => Promise<void>;
  /** Everything it printed so far, stdout and stderr interleaved. */
  readonly output: () => string;
  /** Its exit code (null: ended by a signal). */
  readonly exited: Promise<number | null>;
}

/**
 * Runs `command args` in the repository. `detached` gives it a process group of its own, as a
 * terminal gives the command line it runs.
 */
export function runCommand(
  command: string,
  args: string[],
  { detached = false, env = {} }: { detached?: boolean; env?: NodeJS.ProcessEnv } = {},
): CommandRun {
  const child: ChildProcess = spawn(command, args, {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached,
    env: { ...process.env, ...env },
  });
  let text = '';
  const waiters: Array<() => void> = [];
  const onOutput = (chunk: string) => {
    text += chunk;
    for (const waiter of waiters.splice(0)) waiter();
  };
  child.stdout?.setEncoding('utf8').on('data', onOutput);
  child.stderr?.setEncoding('utf8').on('data', onOutput);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const name = [command, ...args].map((part) => path.basename(part)).join(' ');
  const printed = (pattern: RegExp, since = 0) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pattern.test(text.slice(since))) resolve();
        else waiters.push(check);
      };
      check();
      void exited.then((code) => reject(new Error(`${name} ended (exit ${String(code)}) before printing ${pattern}:\n${text}`)));
    });
  return { child, printed, output: () => text, exited };
}

/** Starts `scripts/cluster.ts` with these options; resolves once it prints that it runs. */
export async function startCluster(options: string[] = []): Promise<RunningCluster> {
  const started = Date.now();
  const { child, printed, output, exited } = runCommand(process.execPath, [
    '--import',
    'tsx',
    'scripts/cluster.ts',
    '--stand-in-base-images',
    ...options,
  ]);
  await printed(/^cluster: running;/m);
  const text = output();
  const kubeconfig = exportValue(text, 'KUBECONFIG');
  const kubernetesBin = exportValue(text, 'PATH').split(':')[0];
  const baseImages = /^pulumi config set baseImages '(.*)'$/m.exec(text)?.[1] ?? '';
  const postgresImage = /^pulumi config set postgresImage '(.*)'$/m.exec(text)?.[1] ?? '';
  const registry = /"(127\.0\.0\.1:\d+)\//.exec(baseImages)?.[1];
  if (!registry) throw new Error(`npm run cluster named no registry in its baseImages line:\n${text}`);
  return {
    kubeconfig,
    kubernetesBin,
    dockerConfig: exportValue(text, 'DOCKER_CONFIG'),
    baseImages,
    postgresImage,
    registry,
    startSeconds: (Date.now() - started) / 1000,
    async kubectl(args, input) {
      return new Promise((resolve, reject) => {
        const run = execFile(
          path.join(kubernetesBin, 'kubectl'),
          ['--kubeconfig', kubeconfig, ...args],
          { maxBuffer: 32 * 1024 * 1024 },
          (error, stdout, stderr) => {
            if (error) reject(new Error(`kubectl ${args.join(' ')}: ${(stderr || error.message).trim()}`));
            else resolve(stdout);
          },
        );
        run.stdin?.end(input ?? '');
      });
    },
    async signal(signal, answer) {
      const since = output().length;
      child.kill(signal);
      await printed(answer, since);
    },
    output,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

let shared: Promise<RunningCluster> | undefined;

/** The cluster every suite of this run shares: started by the first that asks, stopped at the end. */
export function sharedCluster(): Promise<RunningCluster> {
  shared ??= startCluster();
  return shared;
}

/** Stops the shared cluster, if one was started (the run's end, or a suite that needs another). */
export async function stopSharedCluster(): Promise<void> {
  const running = shared;
  shared = undefined;
  if (running) await (await running).stop();
}
