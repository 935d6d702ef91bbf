import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { clusterCacheDir, type BuiltComponent } from './build/go-build.js';
import { versions } from './build/recipes.js';

const execFileAsync = promisify(execFile);

/*
 * The Pulumi CLI built here, with the resource plugins the stacks tested here load, installed
 * into a Pulumi home of its own (never the user's ~/.pulumi: the Kubernetes plugin built here is
 * not the release it is installed as, see recipes.ts). The CLI never downloads a plugin: a stack
 * that needs another (aws, azure-native, gcp) fails on it by name.
 */

/** A plugin as the engine looks it up: kind, name and the version the npm SDK asks for. */
interface PluginInstall {
  name: string;
  version: string;
  component: string;
  binary: string;
}

const plugins: PluginInstall[] = [
  { name: 'kubernetes', version: versions.pulumiKubernetes, component: 'pulumi-resource-kubernetes', binary: 'pulumi-resource-kubernetes' },
  {
    name: 'docker-build',
    version: versions.pulumiDockerBuild,
    component: 'pulumi-resource-docker-build',
    binary: 'pulumi-resource-docker-build',
  },
  // GatewayStack's PostgreSQL password (components/database-secrets.ts).
  { name: 'random', version: versions.pulumiRandom, component: 'pulumi-resource-random', binary: 'pulumi-resource-random' },
];

export interface PulumiTooling {
  /** The CLI binary. */
  cli: string;
  /** A folder holding it as `bin/pulumi`, as the Automation API looks for a CLI. */
  root: string;
  /** Environment that makes the CLI use that home and never fetch a plugin or check for updates. */
  env: { PULUMI_HOME: string } & Record<string, string>;
}

function fileDigest(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Installs the plugins (again, when their binaries changed) and returns how to run the CLI. */
export async function preparePulumi(components: Map<string, BuiltComponent>): Promise<PulumiTooling> {
  const cli = components.get('pulumi')?.binaries['pulumi'];
  if (!cli) throw new Error('the Pulumi CLI was not built');
  const home = path.join(clusterCacheDir(), 'pulumi-home');
  const env = {
    PULUMI_HOME: home,
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
    PULUMI_SKIP_UPDATE_CHECK: 'true',
  };
  for (const plugin of plugins) {
    const binary = components.get(plugin.component)?.binaries[plugin.binary];
    if (!binary) throw new Error(`the ${plugin.name} plugin was not built`);
    const installed = path.join(home, 'plugins', `resource-${plugin.name}-v${plugin.version}`);
    const marker = path.join(installed, '.books-gateway-source');
    const digest = fileDigest(binary);
    if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === digest) continue;
    fs.rmSync(installed, { recursive: true, force: true });
    await execFileAsync(cli, ['plugin', 'install', 'resource', plugin.name, plugin.version, '--file', binary], {
      env: { ...process.env, ...env },
    });
    fs.writeFileSync(marker, digest);
  }
  const root = path.join(home, 'cli');
  fs.mkdirSync(path.join(root, 'bin'), { recursive: true });
  const link = path.join(root, 'bin', 'pulumi');
  fs.rmSync(link, { force: true });
  fs.symlinkSync(cli, link);
  return { cli, root, env };
}
