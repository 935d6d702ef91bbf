import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { machineCacheDir } from '../../toolkit/machine-cache.js';
import { UserError } from '../../toolkit/user-error.js';
import { goModulesDir, type GenerateStep, type GoRecipe } from './recipes.js';

const execFileAsync = promisify(execFile);

/*
 * Builds each recipe once per machine: the binaries go to a folder of the cache named by a digest
 * of everything the build depends on (the wrapper module, the recipe, the Go release, the
 * architecture), so a warm machine rebuilds nothing and a changed recipe never reuses an old build.
 */

/** Where the cluster's binaries, and everything else it caches, live: outside the repository. */
export function clusterCacheDir(): string {
  return machineCacheDir('cluster');
}

/** A recipe's binaries, by command name. */
export interface BuiltComponent {
  recipe: GoRecipe;
  /** Command name → absolute path. */
  binaries: Record<string, string>;
}

/** Go names a package's binary after its last path element, or the one before a `/vN` suffix. */
function defaultBinaryName(pkg: string): string {
  const parts = pkg.split('/');
  const last = parts.at(-1) ?? pkg;
  return /^v\d+$/.test(last) && parts.length > 1 ? parts.at(-2)! : last;
}

function binaryNames(recipe: GoRecipe): string[] {
  return recipe.packages.map((pkg) => {
    const name = defaultBinaryName(pkg);
    return recipe.binaryNames?.[name] ?? name;
  });
}

/**
 * The wrapper module's files, relative to it, its folders' included (a nested module, its own
 * packages), the generated copy of a vendored module left out.
 */
function moduleFiles(recipe: GoRecipe): string[] {
  const dir = path.join(goModulesDir, recipe.module);
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .filter((file) => recipe.vendored === undefined || !file.startsWith(`${recipe.vendored.folder}${path.sep}`))
    .sort();
}

let goVersion: Promise<string> | undefined;

/** `go version`, or a one-line error naming what to install. */
function readGoVersion(): Promise<string> {
  goVersion ??= execFileAsync('go', ['version']).then(
    ({ stdout }) => stdout.trim(),
    () => {
      throw new UserError(
        'No Go toolchain answers `go version`: the cluster is built from Go modules and needs Go 1.26 (see docs/cluster.md)',
      );
    },
  );
  return goVersion;
}

async function recipeDigest(recipe: GoRecipe): Promise<string> {
  const hash = createHash('sha256');
  const dir = path.join(goModulesDir, recipe.module);
  for (const file of moduleFiles(recipe))
    hash
      .update(`${file}\0`)
      .update(fs.readFileSync(path.join(dir, file)))
      .update('\0');
  hash
    .update(JSON.stringify(recipe))
    .update(await readGoVersion())
    .update(process.arch);
  return hash.digest('hex').slice(0, 16);
}

function componentDir(recipe: GoRecipe, digest: string): string {
  return path.join(clusterCacheDir(), 'bin', `${recipe.name}-${digest}`);
}

function buildEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    // Static binaries: they also run inside images that have no C library.
    CGO_ENABLED: '0',
    // The go.sum of each wrapper pins every dependency; the Go release is the machine's own.
    GOFLAGS: '-buildvcs=false -mod=readonly -trimpath',
    GOTOOLCHAIN: 'local',
    ...extra,
  };
}

async function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  try {
    await execFileAsync(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    const tail = (stderr || message).trimEnd().split('\n').slice(-30).join('\n');
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}\n${tail}`, { cause: error });
  }
}

/** The folder of a module's source in the Go module cache, downloading it when missing. */
export async function moduleSource(module: string, version: string): Promise<string> {
  const { stdout } = await execFileAsync('go', ['mod', 'download', '-json', `${module}@${version}`], { env: buildEnv() });
  return (JSON.parse(stdout) as { Dir: string }).Dir;
}

/**
 * Runs a generate step in `dir` of the build's copy. Generators built on Pulumi's SDK get a
 * Pulumi home inside the copy, never the user's ~/.pulumi.
 */
async function generate(step: GenerateStep, dir: string, scratch: string): Promise<void> {
  const [command, ...args] = step.command;
  await run(command, args, dir, buildEnv({ PULUMI_HOME: path.join(scratch, '.pulumi-home'), ...step.env, GOFLAGS: '-buildvcs=false' }));
}

/**
 * The wrapper module, ready to build: in place, or copied (with its vendored module beside it)
 * where files are generated before the build.
 */
async function prepareModule(recipe: GoRecipe, scratch: string): Promise<string> {
  const source = path.join(goModulesDir, recipe.module);
  const { vendored } = recipe;
  if (!vendored && !recipe.generate) return source;
  for (const file of moduleFiles(recipe)) {
    fs.mkdirSync(path.dirname(path.join(scratch, file)), { recursive: true });
    fs.copyFileSync(path.join(source, file), path.join(scratch, file));
  }
  if (vendored) {
    const copy = path.join(scratch, vendored.folder);
    fs.cpSync(await moduleSource(vendored.module, vendored.version), copy, { recursive: true });
    // The module cache is read-only; the copy gets the generated files.
    await run('chmod', ['-R', 'u+w', copy], scratch, process.env);
    await generate(vendored.generate, path.join(copy, vendored.generate.dir), scratch);
  }
  if (recipe.generate) await generate(recipe.generate, path.join(scratch, recipe.generate.dir), scratch);
  return scratch;
}

async function build(recipe: GoRecipe, target: string): Promise<void> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), `books-gateway-build-${recipe.name}-`));
  const output = `${target}.partial`;
  try {
    fs.rmSync(output, { recursive: true, force: true });
    fs.mkdirSync(output, { recursive: true });
    const moduleDir = await prepareModule(recipe, scratch);
    const stamps = Object.entries(recipe.stamps ?? {}).map(([name, value]) => `-X ${name}=${value}`);
    const args = ['build', '-o', `${output}/`, '-ldflags', ['-s', '-w', ...stamps].join(' ')];
    if (recipe.tags?.length) args.push('-tags', recipe.tags.join(','));
    await run('go', [...args, ...recipe.packages], moduleDir, buildEnv());
    for (const pkg of recipe.packages) {
      const built = defaultBinaryName(pkg);
      const wanted = recipe.binaryNames?.[built];
      if (wanted) fs.renameSync(path.join(output, built), path.join(output, wanted));
    }
    fs.writeFileSync(path.join(output, 'recipe.json'), `${JSON.stringify(recipe, null, 2)}\n`);
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(output, target);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
    fs.rmSync(output, { recursive: true, force: true });
  }
}

/**
 * Builds the recipes whose binaries are not in the cache yet, one after another (each Go build
 * already uses every core), printing one line per component with its time.
 */
export async function buildComponents(recipes: readonly GoRecipe[], log: (line: string) => void): Promise<Map<string, BuiltComponent>> {
  const built = new Map<string, BuiltComponent>();
  for (const recipe of recipes) {
    const dir = componentDir(recipe, await recipeDigest(recipe));
    const names = binaryNames(recipe);
    const present = names.every((name) => fs.existsSync(path.join(dir, name)));
    if (!present) {
      const started = Date.now();
      log(`build: ${recipe.name} ${recipe.version} ...`);
      await build(recipe, dir);
      log(`build: ${recipe.name} ${recipe.version} built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
    built.set(recipe.name, { recipe, binaries: Object.fromEntries(names.map((name) => [name, path.join(dir, name)])) });
  }
  return built;
}
