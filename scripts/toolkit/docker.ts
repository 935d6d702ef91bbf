import { spawn } from 'node:child_process';
import { UserError } from './user-error.js';

/*
 * The Docker engine, through one client: Debian's /usr/bin/docker, the one
 * scripts/docker-engine.sh installs and checks the engine with, and the one that builds with
 * BuildKit (`DOCKER_BUILDKIT=1`). It is never looked up on PATH: the 28.x client that may come
 * first there has no buildx plugin and refuses BuildKit builds, so a run would build with one
 * client and start containers with another.
 */
export const dockerCli = '/usr/bin/docker';

export interface DockerRun {
  code: number;
  stdout: string;
  /** BuildKit writes its progress (and a failed step's output) here. */
  stderr: string;
}

/** Runs the Docker client to its end, whatever its exit code. */
export function runDocker(args: readonly string[], options: { timeoutMs?: number } = {}): Promise<DockerRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(dockerCli, args, {
      env: { ...process.env, DOCKER_BUILDKIT: '1', BUILDKIT_PROGRESS: 'plain' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) =>
      reject(new UserError(`${dockerCli} could not be started (${error.message}): run bash scripts/docker-engine.sh`)),
    );
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Runs the Docker client and returns its output, trimmed; a failure throws the client's own words. */
export async function docker(args: readonly string[]): Promise<string> {
  const run = await runDocker(args);
  if (run.code !== 0) throw new Error(`docker ${args.slice(0, 2).join(' ')} failed: ${run.stderr.trim() || `exit code ${run.code}`}`);
  return run.stdout.trim();
}

/** The lines of `docker ARGS`, none when it printed nothing. */
export async function dockerLines(args: readonly string[]): Promise<string[]> {
  const out = await docker(args);
  return out ? out.split('\n') : [];
}

/** Whether the local engine holds an image by this reference. */
export async function imageExists(reference: string): Promise<boolean> {
  return (await runDocker(['image', 'inspect', '--format', '{{.Id}}', reference])).code === 0;
}

let engineCheck: Promise<void> | undefined;

/**
 * Fails with one line a user can act on when no Docker engine answers; asked once per process
 * while it does.
 */
export function ensureEngine(): Promise<void> {
  // `version`, not `info`: without an engine it names the address it tried, in one line. Bounded:
  // a socket whose daemon hangs would otherwise hold the command forever.
  engineCheck ??= runDocker(['version', '--format', '{{.Server.Version}}'], { timeoutMs: 20_000 })
    .then((run) => {
      if (run.code !== 0) {
        const said = run.stderr.trim().split('\n')[0] || `exit code ${run.code}`;
        throw new UserError(`The Docker engine does not answer (${said}): run bash scripts/docker-engine.sh (as root)`);
      }
    })
    .catch((error: unknown) => {
      // Asked again next time: the engine may have been started meanwhile.
      engineCheck = undefined;
      throw error;
    });
  return engineCheck;
}

/** The last lines of a build's output: where BuildKit reports the failed step and its error. */
export function outputTail(output: string, lines = 40): string {
  return output.trimEnd().split('\n').slice(-lines).join('\n');
}
