import type { Stack } from '@pulumi/pulumi/automation/index.js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deployGatewaySystem } from '../../stacks/program.js';
import type { StackConfig } from '../capture/stack-config.js';
import { buildComponents, clusterCacheDir, moduleSource } from '../cluster/build/go-build.js';
import { recipes, versions } from '../cluster/build/recipes.js';
import { Cluster } from '../cluster/cluster.js';
import { runLayout } from '../cluster/layout.js';
import { preparePulumi, type PulumiTooling } from '../cluster/pulumi-home.js';
import { publishImage, publishStandIns } from '../cluster/stand-in-registry.js';
import { hostPlatform } from '../images/stand-ins.js';
import { identify, isRunning, type ProcessIdentity } from '../toolkit/process-identity.js';
import { UserError } from '../toolkit/user-error.js';
import { existingWorkspace, openStack, operationOptions, prepareWorkspace, type WorkspaceOptions } from './pulumi-stack.js';

/*
 * One rehearsal: the stack deployed by the real `pulumi up` (the CLI and plugins built here) to
 * the single-node cluster (scripts/cluster), which it starts unless one is running. Its state
 * and config live in a folder of their own; stopping it removes what it deployed (with the
 * cluster, when it started that too) and the folder.
 */

/** What a running rehearsal records, for `--apply` to find it and take its options. */
export interface RehearsalRecord {
  owner: ProcessIdentity;
  /** `--config` values the rehearsal was started with. */
  overrides: string[];
  standInBaseImages: boolean;
}

export function rehearsalDir(stack: string): string {
  return path.join(clusterCacheDir(), 'rehearse', stack);
}

function recordFile(stack: string): string {
  return path.join(rehearsalDir(stack), 'rehearsal.json');
}

/** The live rehearsal of `stack`, if there is one. */
export function liveRehearsal(stack: string): RehearsalRecord | undefined {
  try {
    const record = JSON.parse(fs.readFileSync(recordFile(stack), 'utf8')) as RehearsalRecord;
    return isRunning(record.owner) ? record : undefined;
  } catch {
    return undefined;
  }
}

/** The CLI's output, as it comes. */
const print = (text: string) => process.stdout.write(text);

/**
 * The rehearsal's workspace: its state and a project folder of its own, deploying to the cluster
 * of this machine with its BuildKit, the stand-ins (pushed to its registry) as base images.
 */
function workspaceOptions(config: StackConfig, standIns: RehearsalOptions['standIns'], pulumi: PulumiTooling): WorkspaceOptions {
  const dir = rehearsalDir(config.stack);
  const layout = runLayout();
  return {
    stateDir: dir,
    projectDir: path.join(dir, 'project'),
    config: withStandIns(config, standIns),
    pulumi,
    kubeconfig: layout.kubeconfig,
    dockerConfig: layout.dockerConfig,
  };
}

/** The targets that deploy to this machine's cluster; the others need their cloud's plugins. */
const targetsHere = ['docker-desktop', 'kubeconfig'];

export function assertDeployableHere(config: StackConfig): void {
  const target = config.values['books-gateway:target'] ?? '';
  if (!targetsHere.includes(target)) {
    throw new UserError(
      `The stack ${config.stack} deploys to target "${target}": a rehearsal deploys to this machine's cluster, with the ${targetsHere.join(' or ')} target ` +
        '(the cloud targets need their cloud and its plugin, which are not built here)',
    );
  }
}

export interface RehearsalOptions {
  config: StackConfig;
  overrides: string[];
  /** Stand-in base images and PostgreSQL, made here, for a machine that reaches no container registry. */
  standIns?: RehearsalStandIns;
  sourceRoot: string;
  log: (line: string) => void;
}

/** The stand-ins of a rehearsal: the base images' and PostgreSQL's (standInPostgresImage). */
export interface RehearsalStandIns {
  node: string;
  nginx: string;
  postgres: string;
}

/** The stack's config with the stand-ins as its base images and PostgreSQL, when there are any. */
export function withStandIns(config: StackConfig, standIns: RehearsalOptions['standIns']): StackConfig {
  if (!standIns) return config;
  const baseImages = JSON.stringify({ NODE_IMAGE: standIns.node, NGINX_IMAGE: standIns.nginx });
  return {
    ...config,
    values: { ...config.values, 'books-gateway:baseImages': baseImages, 'books-gateway:postgresImage': standIns.postgres },
  };
}

/** The stand-ins pushed to the cluster's registry, where BuildKit and the kubelet pull them. */
async function published(standIns: RehearsalStandIns | undefined): Promise<RehearsalStandIns | undefined> {
  if (!standIns) return undefined;
  const [baseImages, postgres] = await Promise.all([publishStandIns([[hostPlatform(), standIns]]), publishImage(standIns.postgres)]);
  return { ...baseImages, postgres };
}

/** The built components and the Pulumi CLI; builds what is missing. */
export async function tooling(log: (line: string) => void): Promise<{ pulumi: PulumiTooling; kubectl: string; cluster: () => Cluster }> {
  if (process.getuid?.() !== 0)
    throw new UserError('npm run rehearse deploys to the single-node cluster, which runs as root: run it as root');
  const components = await buildComponents(recipes, log);
  const pulumi = await preparePulumi(components);
  const kubernetesSource = await moduleSource('k8s.io/kubernetes', `v${versions.kubernetes}`);
  const kubectl = components.get('kubernetes')!.binaries['kubectl'];
  return { pulumi, kubectl, cluster: () => new Cluster({ components, kubernetesSource, loadBalancer: true, log }) };
}

/**
 * A failed `pulumi up`: its own output, then one line that says what failed and, where it can
 * tell, what to do, last, where a person reading the end of a long log finds it.
 */
export function upFailure(error: unknown): Error {
  const text = (error instanceof Error ? error.message : String(error)).trimEnd();
  if (/registry-1\.docker\.io|failed to resolve source metadata|pull access denied/.test(text)) {
    return new UserError(
      `${text}\npulumi up could not build the images: their base images are out of reach. On a machine without a registry, rehearse with --stand-in-base-images`,
    );
  }
  return new UserError(`${text}\npulumi up failed (its output is above)`);
}

export class Rehearsal {
  private cluster: Cluster | undefined;
  private stack: Stack | undefined;
  private stopping: Promise<void> | undefined;
  /** The start in progress, which `stop` lets end before it removes anything. */
  private starting: Promise<Record<string, unknown>> | undefined;
  /** Aborted by `stop`: the start goes no step further, and its `pulumi up` is cancelled. */
  private readonly abort = new AbortController();
  /** kubectl, once started. */
  kubectl = 'kubectl';

  constructor(private readonly options: RehearsalOptions) {}

  /** Starts (or joins) the cluster and runs `pulumi up`; answers the stack's outputs. */
  start(): Promise<Record<string, unknown>> {
    this.starting ??= this.deploy();
    return this.starting;
  }

  private async deploy(): Promise<Record<string, unknown>> {
    const { config, log } = this.options;
    const checkpoint = () => this.abort.signal.throwIfAborted();
    if (liveRehearsal(config.stack)) {
      throw new UserError(`A rehearsal of the stack ${config.stack} is running: change it with --apply, or stop it first`);
    }
    const { pulumi, kubectl, cluster } = await tooling(log);
    checkpoint();
    this.kubectl = kubectl;
    const layout = runLayout();
    const running =
      fs.existsSync(layout.owner) && isRunning((JSON.parse(fs.readFileSync(layout.owner, 'utf8')) as { owner: ProcessIdentity }).owner);
    if (!running) {
      this.cluster = cluster();
      await this.cluster.start();
    } else {
      log('rehearse: deploying to the cluster already running (npm run cluster)');
    }
    await this.removeLeftover(pulumi, running);
    checkpoint();
    const standIns = await published(this.options.standIns);
    checkpoint();
    const workspace = await prepareWorkspace(workspaceOptions(config, standIns, pulumi), this.options.sourceRoot);
    checkpoint();
    const record: RehearsalRecord = {
      owner: identify(),
      overrides: this.options.overrides,
      standInBaseImages: this.options.standIns !== undefined,
    };
    fs.writeFileSync(recordFile(config.stack), `${JSON.stringify(record)}\n`, { mode: 0o600 });
    this.stack = await openStack(workspace, pulumi, deployGatewaySystem);
    checkpoint();
    // Aborted, the Automation API sends the CLI SIGINT: it ends the steps in flight, then exits.
    await this.stack.up({ ...operationOptions(print), signal: this.abort.signal }).catch((error: unknown) => {
      throw upFailure(error);
    });
    return Object.fromEntries(Object.entries(await this.stack.outputs()).map(([key, output]) => [key, output.value]));
  }

  /**
   * What a rehearsal that was killed left: its folder, and, on a cluster that outlived it, the
   * objects it deployed, destroyed through its state (a fresh state would fail on each with
   * "already exists").
   */
  private async removeLeftover(pulumi: PulumiTooling, clusterRunning: boolean): Promise<void> {
    const options = workspaceOptions(this.options.config, undefined, pulumi);
    if (!fs.existsSync(options.stateDir)) return;
    if (clusterRunning && fs.existsSync(path.join(options.projectDir, `Pulumi.${options.config.stack}.yaml`))) {
      this.options.log(`rehearse: destroying what a rehearsal of ${options.config.stack} that was killed deployed`);
      const stack = await openStack(existingWorkspace(options), pulumi, deployGatewaySystem);
      await stack.destroy(operationOptions(print));
    }
    // Out of the folder before it goes (openStack works in its project folder).
    process.chdir(this.options.sourceRoot);
    fs.rmSync(options.stateDir, { recursive: true, force: true });
  }

  /**
   * Removes what it deployed: the whole cluster when it started it, else the stack's objects.
   * During the start, it first lets the start end (cancelled at its next step), so that nothing
   * the start makes comes after the removal; a cluster it started stops at once, with its start.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.abort.abort();
      const cluster = this.cluster;
      await Promise.all([cluster?.stop(), this.starting?.catch(() => undefined)]);
      if (!cluster && this.stack) await this.stack.destroy(operationOptions(print));
      process.chdir(this.options.sourceRoot);
      fs.rmSync(rehearsalDir(this.options.config.stack), { recursive: true, force: true });
    })();
    return this.stopping;
  }
}

/** `--apply`: the running rehearsal's stack, converged to its config anew by another `pulumi up`. */
export async function applyToRunning(options: RehearsalOptions, record: RehearsalRecord): Promise<Record<string, unknown>> {
  const { config, log } = options;
  const { pulumi } = await tooling(log);
  const standIns = await published(options.standIns);
  const workspace = await prepareWorkspace(workspaceOptions(config, standIns, pulumi), options.sourceRoot);
  log(
    `rehearse: applying to the rehearsal of ${config.stack} (pid ${record.owner.pid}${record.standInBaseImages ? ', stand-in base images' : ''})`,
  );
  const stack = await openStack(workspace, pulumi, deployGatewaySystem);
  await stack.up(operationOptions(print)).catch((error: unknown) => {
    throw upFailure(error);
  });
  return Object.fromEntries(Object.entries(await stack.outputs()).map(([key, output]) => [key, output.value]));
}
