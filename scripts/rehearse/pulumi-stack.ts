import { LocalWorkspace, PulumiCommand, type PulumiFn, type Stack } from '@pulumi/pulumi/automation/index.js';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import type { StackConfig } from '../capture/stack-config.js';
import type { PulumiTooling } from '../cluster/pulumi-home.js';

const execFileAsync = promisify(execFile);

/*
 * A stack deployed by the Pulumi CLI built here (cluster/pulumi-home.ts), with a state folder and
 * a config file of its own, so that a rehearsal never touches the operator's Pulumi.<stack>.yaml
 * or login. The program runs in this process through the Automation API (an inline program):
 * the Go module proxy serves no module of pulumi-language-nodejs, the CLI's Node.js host, at any
 * version this CLI can drive (docs/cluster.md), and an inline program needs none. It is the same
 * program `pulumi up` runs (stacks/program.ts), on the real engine and the real plugins.
 */

export interface StackWorkspace {
  /** The folder holding the state, the passphrase and the config file. */
  dir: string;
  stack: string;
  /** The stack's config file, given to every operation (`--config-file`). */
  configFile: string;
  /** Environment every CLI run gets: the Pulumi home, the state folder, the passphrase, KUBECONFIG. */
  env: Record<string, string>;
}

export interface WorkspaceOptions {
  dir: string;
  config: StackConfig;
  pulumi: PulumiTooling;
  /** The kubeconfig of the cluster it deploys to. */
  kubeconfig: string;
  /** The Docker client folder that names the cluster's BuildKit as the builder (cluster/docker-build.ts). */
  dockerConfig: string;
}

/** The Pulumi.yaml folder the rehearsal's stack was made in, with the config file it writes. */
function projectCopyDir(dir: string): string {
  return path.join(dir, 'project');
}

async function cli(tooling: PulumiTooling, env: Record<string, string>, cwd: string, args: string[], input?: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = execFile(tooling.cli, args, { cwd, env: { ...process.env, ...env } }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`pulumi ${args.slice(0, 3).join(' ')} failed: ${(stderr || error.message).trim()}`));
      else resolve();
    });
    child.stdin?.end(input ?? '');
  });
}

/**
 * Makes (or reuses) the workspace: the state folder, a random passphrase in a private file, the
 * stack, and its config file with the given config: plain values as the stack file holds them,
 * secrets encrypted by the CLI from its standard input, never from a command line.
 */
export async function prepareWorkspace({ dir, config, pulumi, kubeconfig, dockerConfig }: WorkspaceOptions, sourceRoot: string): Promise<StackWorkspace> {
  const state = path.join(dir, 'state');
  const project = projectCopyDir(dir);
  const passphraseFile = path.join(dir, 'passphrase');
  fs.mkdirSync(state, { recursive: true, mode: 0o700 });
  fs.mkdirSync(project, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  if (!fs.existsSync(passphraseFile)) fs.writeFileSync(passphraseFile, randomBytes(24).toString('hex'), { mode: 0o600 });
  fs.copyFileSync(path.join(sourceRoot, 'Pulumi.yaml'), path.join(project, 'Pulumi.yaml'));
  const env = {
    ...pulumi.env,
    PULUMI_BACKEND_URL: `file://${state}`,
    PULUMI_CONFIG_PASSPHRASE_FILE: passphraseFile,
    KUBECONFIG: kubeconfig,
    DOCKER_CONFIG: dockerConfig,
  };
  const configFile = path.join(project, `Pulumi.${config.stack}.yaml`);
  const exists = await cli(pulumi, env, project, ['stack', 'select', config.stack]).then(
    () => fs.existsSync(configFile),
    () => false,
  );
  if (!exists) {
    fs.rmSync(configFile, { force: true });
    await cli(pulumi, env, project, ['stack', 'init', config.stack, '--secrets-provider', 'passphrase']);
  }
  // The stack file as made, with its salt, and the config values: plain ones in the file...
  const made = fs.readFileSync(configFile, 'utf8');
  const salt = /^encryptionsalt: .*$/m.exec(made)?.[0] ?? '';
  const plain = Object.fromEntries(Object.entries(config.values).filter(([key]) => !config.secretKeys.includes(key)));
  fs.writeFileSync(configFile, `${salt}\n${stringify({ config: plain })}`, { mode: 0o600 });
  // ...secrets through the CLI, which encrypts them with the stack's key.
  for (const key of config.secretKeys) {
    await cli(pulumi, env, project, ['config', 'set', '--secret', '--stack', config.stack, key], config.values[key]);
  }
  return { dir, stack: config.stack, configFile, env };
}

/** The stack, to run operations on with the program `program`, from `sourceRoot` (the project folder). */
export async function openStack(workspace: StackWorkspace, pulumi: PulumiTooling, sourceRoot: string, program: PulumiFn): Promise<Stack> {
  const pulumiCommand = await PulumiCommand.get({ root: pulumi.root });
  // The engine and the plugins resolve the build contexts from the project folder; the program's
  // own paths (components/images.ts) are relative to this process's folder: the same one.
  process.chdir(sourceRoot);
  return LocalWorkspace.selectStack(
    { stackName: workspace.stack, projectName: 'books-gateway', program },
    { workDir: sourceRoot, pulumiCommand, envVars: workspace.env, pulumiHome: pulumi.env.PULUMI_HOME },
  );
}

/** Options every operation takes: the config file, and the CLI's output as it comes. */
export function operationOptions(workspace: StackWorkspace, onOutput: (text: string) => void) {
  return { configFile: workspace.configFile, onOutput, color: 'never' as const };
}

/** The CLI built here, with the stack's environment: for `pulumi stack output` and the like. */
export async function runCli(workspace: StackWorkspace, pulumi: PulumiTooling, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(pulumi.cli, [...args, '--stack', workspace.stack], { cwd: projectCopyDir(workspace.dir), env: { ...process.env, ...workspace.env } });
  return stdout;
}
