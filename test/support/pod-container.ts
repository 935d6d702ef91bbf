/**
 * A workload's pod, as `docker run` options: what the tests that start the images outside a
 * cluster (the rehearsal's images, the Raspberry Pi images under emulation) hold them to.
 */
import { postgres } from '../../components/postgres.js';
import type { ImageName } from '../../components/target.js';
import { workloads } from '../../components/workloads.js';

/** What every pod of the system runs under: its user, a read-only root, no capability or privilege gain. */
function lockedDown(user: number): string[] {
  return ['--read-only', '--user', `${user}:${user}`, '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges'];
}

/** The pod's restrictions: its user, a read-only root, no capability or privilege gain, its emptyDirs only writable. */
export function podRestrictions(image: ImageName): string[] {
  const { user, writableDirs } = workloads[image];
  return [...lockedDown(user), ...writableDirs.flatMap((dir) => ['--tmpfs', `${dir}:size=64m,uid=${user},gid=${user}`])];
}

/**
 * PostgreSQL as the StatefulSet's pod runs it (components/postgres.ts): its restrictions, its
 * Secret's folder read-only, its environment, and its volume: the folder `volume` names, or a
 * tmpfs where the test keeps no data past the container.
 */
export function postgresPod({ secrets, volume }: { secrets: string; volume?: string }): string[] {
  const { user } = postgres;
  const tmpfsDirs = volume === undefined ? [...postgres.writableDirs, postgres.volumeMount] : postgres.writableDirs;
  return [
    ...lockedDown(user),
    ...tmpfsDirs.flatMap((dir) => ['--tmpfs', `${dir}:uid=${user},gid=${user}`]),
    ...(volume === undefined ? [] : ['-v', `${volume}:${postgres.volumeMount}`]),
    '-v',
    `${secrets}:${postgres.secretsDir}:ro`,
    '-e',
    `POSTGRES_USER=${postgres.role}`,
    '-e',
    `POSTGRES_DB=${postgres.database}`,
    '-e',
    `POSTGRES_PASSWORD_FILE=${postgres.secretsDir}/password`,
    '-e',
    `PGDATA=${postgres.dataDir}`,
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
