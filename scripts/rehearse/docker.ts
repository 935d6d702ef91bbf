/**
 * The Docker engine, through its command-line client: Debian's `/usr/bin/docker` where it is
 * installed (the client that also builds with BuildKit), else the `docker` on PATH.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

export const dockerCli = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

/** Runs `docker ARGS`; resolves with its stdout, trimmed; rejects with its stderr. */
export function docker(args: readonly string[], options: { timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(dockerCli, args, { maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 120_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`docker ${args[0]} failed: ${(stderr || error.message).trim()}`));
      else resolve(stdout.trim());
    });
  });
}

/** Lines of `docker ARGS`, none when it printed nothing. */
export async function dockerLines(args: readonly string[]): Promise<string[]> {
  const out = await docker(args);
  return out ? out.split('\n') : [];
}

/** Fails with one line when the engine does not answer. */
export async function assertEngineAnswers(): Promise<void> {
  try {
    // `version` (not `info`): without an engine it says which address it tried, in one line.
    await docker(['version', '--format', '{{.Server.Version}}'], { timeoutMs: 20_000 });
  } catch (error) {
    throw new Error(
      `The Docker engine does not answer (${(error as Error).message.replace(/^docker version failed: /, '').split('\n')[0]}); ` +
        'as root, bash scripts/docker-engine.sh installs and starts it',
    );
  }
}

/** `docker events` for the containers with this label: one parsed event per line, until stopped. */
export function watchEvents(label: string, onEvent: (event: DockerEvent) => void): ChildProcess {
  const child = spawn(dockerCli, ['events', '--filter', 'type=container', '--filter', `label=${label}`, '--format', '{{json .}}'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let buffered = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) onEvent(JSON.parse(line) as DockerEvent);
  });
  return child;
}

export interface DockerEvent {
  status?: string;
  Action: string;
  id: string;
  Actor: { ID: string; Attributes: Record<string, string> };
}
