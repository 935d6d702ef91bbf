import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { docker } from '../toolkit/docker.js';
import { machineCacheDir } from '../toolkit/machine-cache.js';
import { type NginxBuild, nginxBuild } from '../toolkit/nginx.js';
import { clusterPlatform } from '../../apps/gateway/src/index.js';
import { shellWord } from '../toolkit/shell-words.js';
import { standInBaseImages } from './stand-ins.js';

const execFileAsync = promisify(execFile);

/*
 * The stand-in of the gateway image's nginx (Debian sid's, the closest to production that runs
 * here), run as a process of this machine rather than in a container: `npm run bench -- --nginx
 * stand-in` measures it exactly as it measures Debian's, its CPU read from /proc like every
 * other proxy's. Its files are taken from the image once per image (under the machine's cache),
 * and it runs through the image's own dynamic loader and libraries, since sid's C library is
 * newer than the host's.
 */

/** Inside an image's root, relative to it: the folder of its C library (`usr/lib/<triplet>`) and its loader there. */
async function loaderOf(root: string): Promise<{ libraryDir: string; loader: string }> {
  for (const entry of await fs.readdir(path.join(root, 'usr', 'lib'))) {
    const libraryDir = path.join('usr', 'lib', entry);
    const loader = (await fs.readdir(path.join(root, libraryDir)).catch(() => [])).find((file) => /^ld-linux.*\.so\.\d+$/.test(file));
    if (loader) return { libraryDir, loader: path.join(libraryDir, loader) };
  }
  throw new Error(`${root} holds no dynamic loader (usr/lib/*/ld-linux*.so.N): not a glibc image`);
}

/**
 * Writes the image's files into `folder`: its root filesystem and the `nginx` command running it,
 * whose paths name `finalFolder`, where `folder` is then moved.
 */
async function unpack(image: string, folder: string, finalFolder: string): Promise<void> {
  const root = path.join(folder, 'root');
  await fs.mkdir(root, { recursive: true });
  const container = await docker(['create', image]);
  try {
    const tarball = path.join(folder, 'root.tar');
    await docker(['export', '--output', tarball, container]);
    // Device nodes and the kernel's mount points are the container's, not files to keep.
    await execFileAsync('tar', ['-x', '-f', tarball, '-C', root, '--anchored', '--exclude=dev/*', '--exclude=proc/*', '--exclude=sys/*']);
    await fs.rm(tarball);
  } finally {
    await docker(['rm', container]);
  }
  const { libraryDir, loader } = await loaderOf(root);
  const final = (relative: string) => shellWord(path.join(finalFolder, 'root', relative));
  const script = [
    '#!/bin/sh',
    `# nginx of ${image}, run on the host through the image's own loader and libraries.`,
    `exec ${final(loader)} --library-path ${final(libraryDir)} ${final('usr/sbin/nginx')} "$@"`,
    '',
  ].join('\n');
  await fs.writeFile(path.join(folder, 'nginx'), script, { mode: 0o755 });
}

/** Whether a process of this id runs (any user's). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the unpackings an interrupted process left (a whole root filesystem each). The files
 * of other images or recipes stay: another checkout's bench or tests may be running them.
 */
async function removeInterruptedUnpackings(cache: string): Promise<void> {
  for (const entry of await fs.readdir(cache)) {
    const owner = /\.partial-(\d+)$/.exec(entry)?.[1];
    if (owner !== undefined && !running(Number(owner))) await fs.rm(path.join(cache, entry), { recursive: true, force: true });
  }
}

/** The stand-in's nginx, made (the image built if need be, its files unpacked) on first use. */
export async function standInNginxOnHost(log: (line: string) => void = () => {}): Promise<NginxBuild> {
  const image = (await standInBaseImages(log)).nginx;
  // Named by the image and by this recipe: a new image or a changed recipe never reuses old files.
  const digest = createHash('sha256')
    .update(await docker(['image', 'inspect', '--format', '{{.Id}}', image]))
    .update(readFileSync(__filename))
    .digest('hex')
    .slice(0, 16);
  const cache = machineCacheDir('stand-in-nginx');
  const folder = path.join(cache, digest);
  const binary = path.join(folder, 'nginx');
  const unpacked = () =>
    fs.access(binary).then(
      () => true,
      () => false,
    );
  if (!(await unpacked())) {
    log(`stand-ins: unpacking the nginx of ${image} into ${folder} ...`);
    // Into a fresh folder renamed at the end, so that an interrupted unpacking is never reused;
    // a rename that finds the folder made meanwhile (another process's) keeps that one.
    const partial = `${folder}.partial-${process.pid}`;
    await fs.rm(partial, { recursive: true, force: true });
    try {
      await unpack(image, partial, folder);
      await fs.rename(partial, folder).catch(async (error: unknown) => {
        if (!(await unpacked())) throw error;
      });
    } finally {
      await fs.rm(partial, { recursive: true, force: true });
    }
    await removeInterruptedUnpackings(cache);
  }
  const root = path.join(folder, 'root');
  return nginxBuild({
    binary,
    modulesDir: path.join(root, 'usr/lib/nginx/modules'),
    // The image's njs, like production's, serves the full set (clusterPlatform).
    fullMetrics: clusterPlatform.fullMetrics === true,
    admindir: path.join(root, 'var/lib/dpkg'),
    whose: "the stand-in of the gateway image's",
  });
}
