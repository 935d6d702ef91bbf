import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { docker, imageExists } from '../toolkit/docker.js';
import { UserError } from '../toolkit/user-error.js';

const execFileAsync = promisify(execFile);

/*
 * The images the cluster itself runs, made on this machine because no registry can be reached:
 * Kubernetes' pause container compiled from its source in the Kubernetes module, the add-ons'
 * static binaries each alone on an empty base (as their official images are, on distroless), and
 * a busybox for the storage provisioner's helper pods. Each is tagged with a digest of what it is
 * made of, so a warm machine makes none.
 */

const repository = 'books-gateway-cluster';

/** A file to put into an image, at `target`. */
interface ImageFile {
  source: string;
  target: string;
}

function digestOf(parts: Array<string | Buffer>): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex').slice(0, 16);
}

/** Imports a file tree as an image with the given Dockerfile instructions, unless it exists. */
async function importImage(
  name: string,
  digest: string,
  files: ImageFile[],
  links: Record<string, string>,
  changes: string[],
): Promise<string> {
  const reference = `${repository}/${name}:${digest}`;
  if (await imageExists(reference)) return reference;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `books-gateway-image-${name}-`));
  try {
    for (const { source, target } of files) {
      const destination = path.join(root, target);
      fs.mkdirSync(path.dirname(destination), { recursive: true });
      fs.copyFileSync(source, destination);
      fs.chmodSync(destination, 0o755);
    }
    for (const [link, target] of Object.entries(links)) {
      fs.mkdirSync(path.dirname(path.join(root, link)), { recursive: true });
      fs.symlinkSync(target, path.join(root, link));
    }
    const tarball = `${root}.tar`;
    await execFileAsync('tar', ['--owner=0', '--group=0', '-C', root, '-cf', tarball, '.']);
    await docker(['import', ...changes.flatMap((change) => ['--change', change]), tarball, reference]);
    fs.rmSync(tarball, { force: true });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  return reference;
}

/** A Go add-on's static binary alone in an image, run as `user` (numeric: there is no passwd file). */
export function binaryImage(name: string, binary: string, user: number): Promise<string> {
  const target = `/${path.basename(binary)}`;
  return importImage(name, digestOf([fs.readFileSync(binary), String(user)]), [{ source: binary, target }], {}, [
    `ENTRYPOINT ["${target}"]`,
    `USER ${user}:${user}`,
  ]);
}

/** The pause release the Kubernetes module's build/pause/Makefile names. */
const pauseVersion = '3.10.2';

/**
 * Kubernetes' pause container, compiled as its Makefile does (`-Os -static`) from
 * build/pause/linux/pause.c of the Kubernetes module; like the official image, it runs as 65535.
 */
export async function pauseImage(kubernetesSource: string): Promise<string> {
  const source = path.join(kubernetesSource, 'build', 'pause', 'linux', 'pause.c');
  const { stdout: compiler } = await execFileAsync('gcc', ['--version']).catch(() => {
    throw new UserError('gcc is missing: the pause container is compiled here. As root: apt-get install -y gcc libc6-dev');
  });
  const digest = digestOf([fs.readFileSync(source), compiler]);
  const reference = `${repository}/pause:${pauseVersion}-${digest}`;
  if (await imageExists(reference)) return reference;
  const build = fs.mkdtempSync(path.join(os.tmpdir(), 'books-gateway-pause-'));
  try {
    const binary = path.join(build, 'pause');
    await execFileAsync('gcc', ['-Os', '-Wall', '-Werror', '-static', `-DVERSION=v${pauseVersion}`, '-o', binary, source]);
    return await importImage('pause', `${pauseVersion}-${digest}`, [{ source: binary, target: '/pause' }], {}, [
      'ENTRYPOINT ["/pause"]',
      'USER 65535:65535',
    ]);
  } finally {
    fs.rmSync(build, { recursive: true, force: true });
  }
}

const busybox = '/bin/busybox';

/** Debian's static busybox with its applets linked, for the storage provisioner's helper pods. */
export async function busyboxImage(): Promise<string> {
  const { stdout } = await execFileAsync(busybox, ['--list']).catch(() => {
    throw new UserError(`${busybox} is missing: as root, apt-get install -y busybox-static`);
  });
  const applets = stdout.split('\n').filter((applet) => applet && applet !== 'busybox');
  const links = Object.fromEntries(applets.map((applet) => [`/bin/${applet}`, 'busybox']));
  return importImage('busybox', digestOf([fs.readFileSync(busybox)]), [{ source: busybox, target: '/bin/busybox' }], links, ['CMD ["sh"]']);
}
