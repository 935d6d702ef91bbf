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
 * a passphrase of its own. The program runs in this process through the Automation API (an inline
 * program): the Go module proxy serves no module of pulumi-language-nodejs, the CLI's Node.js host,
 * at any version this CLI can drive (docs/cluster.md), and an inline program needs none. It is the
 * same program `pulumi up` runs (stacks/program.ts), on the real engine and the real plugins.
 *
 * The project folder is where the CLI runs, as `pulumi up` runs in a checkout: it holds Pulumi.yaml
 * and the stack's Pulumi.<stack>.yaml, and the build contexts are resolved from it. A rehearsal's is
 * a folder of its own (so that it never writes the operator's stack file: the CLI adds its
 * encryption salt to the project folder's stack file even when given another with --config-file);
 * a test's may be a checkout.
 */

export interface StackWorkspace {
  stack: string;
  /** Where the CLI runs: Pulumi.yaml and the stack file. */
  projectDir: string;
  /** Environment every CLI run gets: the Pulumi home, the state folder, the passphrase, KUBECONFIG. */
  env: Record<string, string>;
}

export interface WorkspaceOptions {
  /** The state folder and the passphrase's file go here. */
  stateDir: string;
  /** The project folder (see above); Pulumi.yaml is copied there from the source when missing. */
  projectDir: string;
  config: StackConfig;
  pulumi: PulumiTooling;
  /** The kubeconfig of the cluster it deploys to. */
  kubeconfig: string;
  /** The Docker client folder that names the cluster's BuildKit as the builder (cluster/docker-build.ts). */
  dockerConfig: string;
}

async function cli(tooling: PulumiTooling, env: Record<string, string>, cwd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(tooling.cli, args, { cwd, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      if (error) reject(new Error(`pulumi ${args.slice(0, 3).join(' ')} failed: ${(stderr || error.message).trim()}`));
      else resolve(stdout);
    });
    child.stdin?.end(input ?? '');
  });
}

/**
 * Makes (or reuses) the workspace: the state folder, a random passphrase in a private file, the
 * stack, and its stack file with the given config: plain values as the file holds them, secrets
 * encrypted by the CLI from its standard input, never from a command line.
 */
export async function prepareWorkspace(options: WorkspaceOptions, sourceRoot: string): Promise<StackWorkspace> {
  const { stateDir, projectDir, config, pulumi } = options;
  const passphraseFile = path.join(stateDir, 'passphrase');
  fs.mkdirSync(path.join(stateDir, 'state'), { recursive: true, mode: 0o700 });
  fs.chmodSync(stateDir, 0o700);
  fs.mkdirSync(projectDir, { recursive: true });
  if (!fs.existsSync(passphraseFile)) fs.writeFileSync(passphraseFile, randomBytes(24).toString('hex'), { mode: 0o600 });
  const projectFile = path.join(projectDir, 'Pulumi.yaml');
  if (!fs.existsSync(projectFile)) fs.copyFileSync(path.join(sourceRoot, 'Pulumi.yaml'), projectFile);
  const { env } = existingWorkspace(options);
  const stackFile = path.join(projectDir, `Pulumi.${config.stack}.yaml`);
  const exists = await cli(pulumi, env, projectDir, ['stack', 'select', config.stack]).then(
    () => true,
    () => false,
  );
  if (!exists) await cli(pulumi, env, projectDir, ['stack', 'init', config.stack, '--secrets-provider', 'passphrase']);
  // The stack file's salt, as the stack was made, and the config values: plain ones in the file...
  const salt = fs.existsSync(stackFile) ? (/^encryptionsalt: .*$/m.exec(fs.readFileSync(stackFile, 'utf8'))?.[0] ?? '') : '';
  const plain = Object.fromEntries(Object.entries(config.values).filter(([key]) => !config.secretKeys.includes(key)));
  fs.writeFileSync(stackFile, `${salt}\n${stringify({ config: plain })}`, { mode: 0o600 });
  // ...secrets through the CLI, which encrypts them with the stack's key.
  for (const key of config.secretKeys) {
    await cli(pulumi, env, projectDir, ['config', 'set', '--secret', '--stack', config.stack, key], config.values[key]);
  }
  return { stack: config.stack, projectDir, env };
}

/** A workspace as `prepareWorkspace` made it, for operations that need no config (destroy). */
export function existingWorkspace({ stateDir, projectDir, config, pulumi, kubeconfig, dockerConfig }: WorkspaceOptions): StackWorkspace {
  const env = {
    ...pulumi.env,
    PULUMI_BACKEND_URL: `file://${path.join(stateDir, 'state')}`,
    PULUMI_CONFIG_PASSPHRASE_FILE: path.join(stateDir, 'passphrase'),
    KUBECONFIG: kubeconfig,
    DOCKER_CONFIG: dockerConfig,
  };
  return { stack: config.stack, projectDir, env };
}

/** The stack, to run operations on with the program `program`. */
export async function openStack(workspace: StackWorkspace, pulumi: PulumiTooling, program: PulumiFn): Promise<Stack> {
  const pulumiCommand = await PulumiCommand.get({ root: pulumi.root });
  // The program's build contexts are relative to this process's folder (components/images.ts),
  // the plugins resolve them from theirs, the project folder: the two must be one.
  process.chdir(workspace.projectDir);
  return LocalWorkspace.selectStack(
    { stackName: workspace.stack, projectName: 'books-gateway', program },
    { workDir: workspace.projectDir, pulumiCommand, envVars: workspace.env, pulumiHome: pulumi.env.PULUMI_HOME },
  );
}

/** Options every operation takes: the CLI's output as it comes, without colour codes. */
export function operationOptions(onOutput: (text: string) => void) {
  return { onOutput, color: 'never' as const };
}

/** The CLI built here, with the stack's environment, in its project folder: `pulumi stack output` and the like. */
export async function runCli(workspace: StackWorkspace, pulumi: PulumiTooling, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(pulumi.cli, [...args, '--stack', workspace.stack], {
    cwd: workspace.projectDir,
    env: { ...process.env, ...workspace.env },
  });
  return stdout;
}
