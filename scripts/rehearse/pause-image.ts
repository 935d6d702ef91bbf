/**
 * The pause image every pod starts with (Kubernetes' registry.k8s.io/pause, which no registry
 * here serves): Debian's static busybox, sleeping. It holds the pod's network namespace, so the
 * pod's containers share localhost and its address survives their restarts. Tagged by the
 * binary's digest, built once.
 */
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { docker, dockerCli } from './docker.js';

const busybox = '/bin/busybox';

export async function pauseImage(): Promise<string> {
  if (!existsSync(busybox)) throw new Error(`${busybox} is missing: as root, apt-get install -y busybox-static`);
  const digest = createHash('sha256').update(readFileSync(busybox)).digest('hex').slice(0, 12);
  const tag = `books-gateway-rehearse/pause:${digest}`;
  const present = await docker(['image', 'inspect', '--format', '{{.Id}}', tag]).then(() => true, () => false);
  if (present) return tag;
  await new Promise<void>((resolve, reject) => {
    const tar = spawn('tar', ['-C', '/bin', '-cf', '-', 'busybox'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const load = spawn(dockerCli, ['import', '--change', 'CMD ["/busybox", "sleep", "2147483647"]', '-', tag], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    load.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    tar.stdout?.pipe(load.stdin!);
    load.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`docker import of the pause image failed: ${stderr.trim()}`))));
  });
  return tag;
}
