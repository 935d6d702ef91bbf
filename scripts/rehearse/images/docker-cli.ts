import { spawn } from 'node:child_process';

/*
 * The Docker client the images are built with: Debian's, which builds with BuildKit
 * (`DOCKER_BUILDKIT=1`). The 28.x client that may come first on PATH has no buildx plugin and
 * refuses BuildKit builds, so it is never looked up on PATH.
 */
const dockerCli = '/usr/bin/docker';

export interface DockerRun {
  code: number;
  stdout: string;
  /** BuildKit writes its progress (and a failed step's output) here. */
  stderr: string;
}

/** Runs the Docker client to its end. */
export function runDocker(args: readonly string[]): Promise<DockerRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(dockerCli, args, {
      env: { ...process.env, DOCKER_BUILDKIT: '1', BUILDKIT_PROGRESS: 'plain' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => reject(new Error(`${dockerCli} could not be started (${error.message}): run bash scripts/docker-engine.sh`)));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Runs the Docker client and returns its output; a failure throws its own error text. */
export async function docker(args: readonly string[]): Promise<string> {
  const run = await runDocker(args);
  if (run.code !== 0) throw new Error(`docker ${args.slice(0, 2).join(' ')} failed: ${run.stderr.trim()}`);
  return run.stdout;
}

/** Whether the local engine holds an image by this reference. */
export async function imageExists(reference: string): Promise<boolean> {
  return (await runDocker(['image', 'inspect', '--format', '{{.Id}}', reference])).code === 0;
}

let engineCheck: Promise<void> | undefined;

/** Fails with one clear line when no Docker engine answers. */
export function ensureEngine(): Promise<void> {
  engineCheck ??= runDocker(['info', '--format', '{{.ServerVersion}}']).then((run) => {
    if (run.code !== 0) {
      engineCheck = undefined;
      throw new Error(`The Docker engine does not answer (${dockerCli} info): run bash scripts/docker-engine.sh (as root)\n${run.stderr.trim()}`);
    }
  });
  return engineCheck;
}

/** The last lines of a build's output: where BuildKit reports the failed step and its error. */
export function outputTail(output: string, lines = 40): string {
  return output.trimEnd().split('\n').slice(-lines).join('\n');
}
