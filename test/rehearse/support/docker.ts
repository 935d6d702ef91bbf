/** The Docker engine as the tests inspect the rehearsal's containers. */
import { execFile } from 'node:child_process';
import { docker, dockerCli } from '../../../scripts/rehearse/docker.js';
import { containerLabel, pidLabel, podLabel } from '../../../scripts/rehearse/rehearsal-labels.js';

/** `docker ARGS`'s output byte for byte (the mounted files are compared as bytes). */
export function dockerOutput(args: readonly string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(dockerCli, args, { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      error ? reject(new Error(`docker ${args.join(' ')}: ${stderr.toString().trim() || error.message}`)) : resolve(stdout),
    );
  });
}

/** `docker ARGS`'s output as trimmed text: the rehearsal's own client call. */
export const dockerText = docker;

export interface InspectedContainer {
  Id: string;
  Name: string;
  Config: { User: string; Labels: Record<string, string>; Image: string };
  State: { Running: boolean; StartedAt: string; Pid: number };
  HostConfig: { ReadonlyRootfs: boolean; PortBindings: Record<string, unknown> | null; CapDrop: string[] | null; NetworkMode: string; PublishAllPorts: boolean };
  NetworkSettings: { Ports: Record<string, { HostIp: string; HostPort: string }[] | null> | null; Networks: Record<string, { IPAddress: string }> };
}

/** Every container of the rehearsal run by this pid (its pause containers included). */
export async function rehearsalContainers(pid: number): Promise<InspectedContainer[]> {
  const ids = (await dockerText(['ps', '--all', '--quiet', '--filter', `label=${pidLabel}=${pid}`])).split('\n').filter(Boolean);
  // One at a time: a pod that finishes stopping between the listing and its inspection is gone.
  const inspected = await Promise.all(ids.map((id) => dockerText(['inspect', id]).then((text) => JSON.parse(text) as InspectedContainer[], () => [])));
  return inspected.flat();
}

/** The running containers of one container name of the pod spec (`books`, `books-react`, `gateway`). */
export async function containersNamed(pid: number, name: string): Promise<InspectedContainer[]> {
  return (await rehearsalContainers(pid)).filter((c) => c.Config.Labels[containerLabel] === name && c.State.Running);
}

export function podOf(container: InspectedContainer): string {
  return container.Config.Labels[podLabel] ?? '';
}
