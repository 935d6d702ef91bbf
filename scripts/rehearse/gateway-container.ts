/**
 * One gateway container outside any pod: the gateway image's base (or its stand-in) on the host's
 * network, listening on 127.0.0.1, in front of books processes on the host, with the pod's
 * restrictions (read-only root filesystem, no capabilities, user 101, the run folder a tmpfs).
 * What the metrics bench measures and the metrics fold's tests count requests on.
 *
 * The host's network rather than a published port: docker-proxy (a userland copy of every byte)
 * would otherwise sit in front of the gateway and dilute what it costs.
 */
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type GatewayRateLimit, type NginxPlatform, nginxCommandLine, renderGateway } from '../../apps/gateway/src/index.js';
import { eventually } from '../toolkit/eventually.js';
import { docker, dockerLines } from './docker.js';

export interface GatewayContainerSpec {
  image: string;
  name: string;
  /** A label (`key=value`) the container carries, so that its owner's cleanup finds only its own. */
  label: string;
  /** Where the rendered files are written and mounted from (read-only). */
  folder: string;
  platform: NginxPlatform;
  ports: { listen: number; status: number };
  /** The books processes (both routes go to them). */
  booksPorts: readonly number[];
  rateLimit?: GatewayRateLimit;
}

/** Starts the container and waits until its health endpoint answers. */
export async function startGatewayContainer(spec: GatewayContainerSpec): Promise<void> {
  const { ports } = spec;
  // On the host's network the pod's loopback port for the relay of writes would be shared by every
  // gateway container at once: each gets a socket in its own run folder (a fresh tmpfs) instead.
  const platform: NginxPlatform = { ...spec.platform, writeRelayAddress: `unix:${spec.platform.runDir}/books-writes.sock` };
  const upstream = { kind: 'static' as const, addresses: spec.booksPorts.map((port) => `127.0.0.1:${port}`) };
  const { files } = renderGateway({
    listenPort: ports.listen,
    listenAddress: '127.0.0.1',
    statusPort: ports.status,
    books: upstream,
    booksReact: upstream,
    platform,
    rateLimit: spec.rateLimit,
  });
  await chmod(spec.folder, 0o755);
  for (const [file, text] of Object.entries(files)) await writeFile(join(spec.folder, file), text, { mode: 0o644 });
  await docker(['run', '-d', '--label', spec.label, '--name', spec.name, '--network', 'host', '--read-only', '--cap-drop', 'ALL',
    '--tmpfs', `${platform.runDir}:uid=101,gid=101`, '--user', '101:101', '-v', `${spec.folder}:${platform.configDir}:ro`,
    spec.image, ...nginxCommandLine(platform)]);
  try {
    await eventually(`${spec.name} answers`, async () => (await fetch(`http://127.0.0.1:${ports.status}/healthz`).catch(() => undefined))?.ok === true, 15_000);
  } catch (error) {
    // What nginx said is the only clue to why it does not answer.
    const logs = await docker(['inspect', '--format', '{{.State.Status}} (exit {{.State.ExitCode}})', spec.name]).catch((failure: unknown) => String(failure));
    throw new Error(`${(error as Error).message}; the container is ${logs}`);
  }
}

/** Removes those of the containers that exist and carry `label`, whatever their state. */
export async function removeGatewayContainers(label: string, names: readonly string[]): Promise<void> {
  const existing = await dockerLines(['ps', '-a', '--filter', `label=${label}`, '--format', '{{.Names}}']);
  const ours = names.filter((name) => existing.includes(name));
  if (ours.length > 0) await docker(['rm', '-f', ...ours]);
}
