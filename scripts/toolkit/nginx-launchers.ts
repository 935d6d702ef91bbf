/** The nginx builds a gateway nginx (gateway-nginx.ts) runs on, and how each is run. */
import { chmod, writeFile } from 'node:fs/promises';
import { clusterPlatform, debianPlatform, nginxCommandLine } from '../../apps/gateway/src/index.js';
import { docker, dockerCli } from './docker.js';
import type { NginxLauncher } from './gateway-nginx.js';
import { ManagedProcess } from './managed-process.js';
import { type NginxBuild, locateNginx, nginxProcess, testNginxConfig } from './nginx.js';

/**
 * Creates the access log before nginx does: nginx would make it readable by everyone, and it
 * names every client and path. nginx's master opens it (root, when started as root) and its
 * workers write through the descriptor they inherit, so the owner alone may read it.
 */
async function createPrivateLog(path: string | undefined): Promise<void> {
  if (path === undefined || path === 'off' || path.startsWith('/dev/')) return;
  await writeFile(path, '', { flag: 'a', mode: 0o600 });
  await chmod(path, 0o600);
}

/**
 * An nginx run as a process of this machine, checked with `nginx -t` before it starts: Debian's
 * (`npm run local`'s) or the binary named, on Debian's layout; or a build of its own, whose
 * modules and metrics it then renders for.
 */
export function hostNginx(nginx: string | NginxBuild = locateNginx()): NginxLauncher {
  const nginxBinary = typeof nginx === 'string' ? nginx : nginx.binary;
  const buildSettings = typeof nginx === 'string' ? {} : { modulesDir: nginx.modulesDir, fullMetrics: nginx.fullMetrics };
  return {
    platform: (folder, overrides) => debianPlatform(folder, { ...buildSettings, ...overrides }),
    async prepare(folder, platform) {
      await createPrivateLog(platform.accessLog);
      await testNginxConfig(nginxBinary, folder);
    },
    process: ({ name, folder, listeners }) =>
      nginxProcess(name, nginxBinary, folder, listeners.onOutput, listeners.onUnexpectedExit, listeners.guard),
  };
}

/**
 * The gateway image's nginx (`image`: its base, or the stand-in of it) in a container named
 * `name`, on the host's network, so that it reaches backends on 127.0.0.1 and no docker-proxy (a
 * userland copy of every byte) sits in front of it. With the pod's restrictions: read-only root
 * filesystem, no capabilities, user 101, the files mounted read-only where the pod mounts its
 * ConfigMap and Secret, the run folder a 64 MiB tmpfs as the pod's emptyDir is. In the
 * foreground, so its output (nginx's error log) is the process's and stopping the process stops
 * the container, which `--rm` then removes.
 */
export function containerNginx(image: string, name: string): NginxLauncher {
  return {
    // On the host's network the pod's loopback port for the relay of writes would be shared by every
    // gateway container at once: each gets a socket in its own run folder (a fresh tmpfs) instead.
    platform: (_folder, overrides) => ({
      ...clusterPlatform,
      writeRelayAddress: `unix:${clusterPlatform.runDir}/books-writes.sock`,
      ...overrides,
    }),
    // Readable by the container's nginx, user 101. Its build is checked by starting it.
    prepare: (folder) => chmod(folder, 0o755),
    process: ({ folder, secretsFolder, platform, listeners }) => {
      const args = [
        'run',
        '--rm',
        '--name',
        name,
        '--network',
        'host',
        '--read-only',
        '--cap-drop',
        'ALL',
        '--security-opt',
        'no-new-privileges',
        '--tmpfs',
        `${platform.runDir}:uid=101,gid=101,size=64m`,
        '--user',
        '101:101',
        '-v',
        `${folder}:${platform.configDir}:ro`,
        '-v',
        `${secretsFolder}:${platform.secretsDir}:ro`,
        image,
        ...nginxCommandLine(platform),
      ];
      return new ManagedProcess({ name, command: dockerCli, args }, listeners.onOutput, listeners.onUnexpectedExit, listeners.guard);
    },
    // The container outlives a client that was killed rather than stopped.
    remove: async () => {
      await docker(['rm', '-f', name]).catch(() => undefined);
    },
  };
}
