/** The nginx builds a gateway nginx (gateway-nginx.ts) runs on, and how each is run. */
import { chmod, writeFile } from 'node:fs/promises';
import { debianPlatform } from '../../apps/gateway/src/index.js';
import type { NginxLauncher } from './gateway-nginx.js';
import { locateNginx, nginxProcess, testNginxConfig } from './nginx.js';

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

/** This machine's nginx (Debian's, `npm run local`'s), checked with `nginx -t` before it starts. */
export function hostNginx(nginxBinary = locateNginx()): NginxLauncher {
  return {
    platform: debianPlatform,
    async prepare(folder, platform) {
      await createPrivateLog(platform.accessLog);
      await testNginxConfig(nginxBinary, folder);
    },
    process: ({ name, folder, listeners }) => nginxProcess(name, nginxBinary, folder, listeners.onOutput, listeners.onUnexpectedExit, listeners.guard),
  };
}
