/**
 * A workload's pod, as `docker run` options: what the tests that start the images outside a
 * cluster (the rehearsal's images, the Raspberry Pi images under emulation) hold them to.
 */
import type { ImageName } from '../../components/target.js';
import { workloads } from '../../components/workloads.js';

/** The pod's restrictions: its user, a read-only root, no capability or privilege gain, its emptyDirs only writable. */
export function podRestrictions(image: ImageName): string[] {
  const { user, writableDirs } = workloads[image];
  return [
    '--read-only',
    '--user',
    `${user}:${user}`,
    '--cap-drop',
    'ALL',
    '--security-opt',
    'no-new-privileges',
    ...writableDirs.flatMap((dir) => ['--tmpfs', `${dir}:size=64m,uid=${user},gid=${user}`]),
  ];
}

/** The container's environment as the pod spec sets it (plain values; none comes from a Secret). */
export function podEnvironment(image: ImageName): string[] {
  return (workloads[image].env ?? []).flatMap(({ name, value }) => {
    if (typeof name !== 'string' || (value !== undefined && typeof value !== 'string')) {
      throw new Error(`${image}: an environment variable of the pod spec is not plain text, which a container here cannot take`);
    }
    return ['-e', `${name}=${value ?? ''}`];
  });
}

/** The pod spec's command, which replaces the image's entrypoint and CMD where it is set. */
export function podCommand(image: ImageName): string[] {
  return [...(workloads[image].command ?? [])];
}
