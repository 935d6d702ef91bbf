import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type NginxPlatform, clusterPlatform, nginxCommandLine } from '../../../apps/gateway/src/index.js';
import { ManagedProcess, type OutputListener } from '../../../scripts/toolkit/managed-process.js';
import { docker, dockerCli } from '../../../scripts/toolkit/docker.js';
import { standInBaseImages } from '../../../scripts/rehearse/images/stand-ins.js';

/**
 * The nginx builds the gateway's configuration runs on here: Debian 12's nginx 1.22 with njs
 * 0.7.9 (`npm run local`), and the stand-in of the gateway image's nginx (Debian sid's, 1.30 with
 * njs 1.0.2) in a container with the pod's restrictions, as test/metrics/fold.test.ts runs it.
 */
export const nginxBuilds = ['debian', 'stand-in'] as const;
export type NginxBuild = (typeof nginxBuilds)[number];

export const nginxBuildNames: Readonly<Record<NginxBuild, string>> = {
  debian: "Debian 12's nginx (npm run local)",
  'stand-in': "the stand-in of the gateway image's nginx",
};

/** The cluster's paths, one worker, and the access log in the run folder, where a test can read it. */
/**
 * The cluster's platform but for the relay of writes, whose loopback port the pod has to itself:
 * on the host's network, several stand-ins at once would share it, so each uses a socket in its
 * own run folder (the local run's default).
 */
export const standInPlatform: NginxPlatform = {
  ...clusterPlatform,
  workerProcesses: 1,
  accessLog: `${clusterPlatform.runDir}/access.log`,
  writeRelayAddress: `unix:${clusterPlatform.runDir}/books-writes.sock`,
};

const execFileAsync = promisify(execFile);

/**
 * The stand-in nginx in a container on the host's network (so it reaches backends on
 * 127.0.0.1), running the files of `configFolder` and `secretsFolder` as the pod mounts them:
 * read-only root filesystem, no capabilities, user 101, the run folder a 64 MiB tmpfs as the
 * pod's emptyDir is. In the foreground, so its output (nginx's error log) is the process's, and
 * stopping the process stops the container (`--rm` removes it).
 */
export async function standInNginxProcess(name: string, configFolder: string, secretsFolder: string, onOutput: OutputListener): Promise<ManagedProcess> {
  const image = (await standInBaseImages()).nginx;
  const platform = standInPlatform;
  const args = ['run', '--rm', '--name', name, '--network', 'host', '--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges',
    '--tmpfs', `${platform.runDir}:uid=101,gid=101,size=64m`, '--user', '101:101',
    '-v', `${configFolder}:${platform.configDir}:ro`, '-v', `${secretsFolder}:${platform.secretsDir}:ro`,
    image, ...nginxCommandLine(platform)];
  return new ManagedProcess({ name, command: dockerCli, args }, onOutput, () => undefined);
}

/** Removes the container, whatever became of the process that ran it. */
export async function removeStandInContainer(name: string): Promise<void> {
  await docker(['rm', '-f', name]).catch(() => undefined);
}

/** A file of the running container, byte for byte (`docker logs` would re-encode what is not UTF-8). */
export async function readStandInFile(name: string, path: string): Promise<Buffer> {
  const { stdout } = await execFileAsync(dockerCli, ['exec', name, 'cat', path], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}
