import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Every object these tests create carries this label and the branch's name prefix. */
export const testLabel = 'books-gateway.test=metrics';

/** `docker ARGS...`; its stdout, trimmed. Fails with docker's own message. */
export async function docker(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('docker', args, { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
    return stdout.trim();
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`docker ${args.slice(0, 2).join(' ')} failed: ${stderr.trim() || String(error)}`);
  }
}

/** The container's address on a user-defined network (reachable from this host on Linux). */
export async function containerAddress(container: string, network: string): Promise<string> {
  return docker('inspect', '--format', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, container);
}

/** The host port a container port is published on (`-p 127.0.0.1::PORT`). */
export async function publishedPort(container: string, port: number): Promise<number> {
  const binding = await docker('port', container, `${port}/tcp`);
  const match = /127\.0\.0\.1:(\d+)/.exec(binding);
  if (!match?.[1]) throw new Error(`${container}: port ${port} is not published on 127.0.0.1 (${binding})`);
  return Number(match[1]);
}

/** Removes those of the containers that exist (and carry the label), whatever their state. */
export async function removeContainers(containers: readonly string[]): Promise<void> {
  const existing = (await docker('ps', '-a', '--filter', `label=${testLabel}`, '--format', '{{.Names}}')).split('\n');
  const ours = containers.filter((name) => existing.includes(name));
  if (ours.length > 0) await docker('rm', '-f', ...ours);
}

/** Removes the containers and the network, whatever state they are in. */
export async function removeAll(containers: readonly string[], network: string): Promise<void> {
  await removeContainers(containers);
  const networks = (await docker('network', 'ls', '--filter', `label=${testLabel}`, '--format', '{{.Name}}')).split('\n');
  if (networks.includes(network)) await docker('network', 'rm', network);
}
