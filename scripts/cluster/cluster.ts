import { execFile } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import * as fs from 'node:fs';
import { networkInterfaces } from 'node:os';
import * as path from 'node:path';
import { ensureEngine } from '../toolkit/docker.js';
import { ManagedProcess, type ProcessSpec } from '../toolkit/managed-process.js';
import { eventually } from '../toolkit/eventually.js';
import { identify, isRunning, type ProcessIdentity } from '../toolkit/process-identity.js';
import { UserError } from '../toolkit/user-error.js';
import { addonManifests } from './addons.js';
import type { BuiltComponent } from './build/go-build.js';
import { versions } from './build/recipes.js';
import { writeBuilderConfig } from './docker-build.js';
import {
  buildkitdConfig,
  cniConfig,
  cniConfigFile,
  hostProcesses,
  kubeletConfig,
  kubeProxyConfig,
  registryConfig,
  type Binaries,
} from './host-processes.js';
import { restoreRuntime, useRuntimeAdapter } from './docker-runtime.js';
import { binaryImage, busyboxImage, pauseImage } from './images.js';
import { network, nodeName, ports, runLayout, type RunLayout } from './layout.js';
import { nodeAddress } from './node-address.js';
import { componentKubeconfig, makePki } from './pki.js';
import { removeNetworking, removePodContainers, unmountUnder } from './teardown.js';

/*
 * One run of the single-node cluster: it makes its state in the run folder, starts the node's
 * processes in order, each once the one before answers, applies the add-ons, and waits until the
 * node is Ready and the cluster DNS answers. `stop` undoes all of it, whatever state it is in.
 */

export interface ClusterOptions {
  /** The built components (build/go-build.ts). */
  components: Map<string, BuiltComponent>;
  /** The Kubernetes module's source folder (the pause container is compiled from it). */
  kubernetesSource: string;
  loadBalancer: boolean;
  log: (line: string) => void;
}

/** What a run records about itself, so the next run can tell whether it is still alive. */
interface OwnerRecord {
  owner: ProcessIdentity;
  children: ProcessIdentity[];
}

function allBinaries(components: Map<string, BuiltComponent>): Binaries {
  return Object.assign({}, ...[...components.values()].map((component) => component.binaries)) as Binaries;
}

function readOwner(layout: RunLayout): OwnerRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(layout.owner, 'utf8')) as OwnerRecord;
  } catch {
    return undefined;
  }
}

/** The MTU of the node's own interface, so pods' packets fit on the way out. */
function nodeMtu(address: string): number {
  const name = Object.entries(networkInterfaces()).find(([, entries]) => entries?.some((entry) => entry.address === address))?.[0];
  return name ? Number(fs.readFileSync(`/sys/class/net/${name}/mtu`, 'utf8').trim()) : 1500;
}

export class Cluster {
  readonly layout = runLayout();
  private readonly binaries: Binaries;
  private readonly processes: ManagedProcess[] = [];
  private readonly logStreams = new Map<string, fs.WriteStream>();
  private stopping: Promise<void> | undefined;
  /** The start in progress, which `stop` lets end (at its next step) before it removes anything. */
  private starting: Promise<void> | undefined;
  private failure: ((error: Error) => void) | undefined;

  constructor(private readonly options: ClusterOptions) {
    this.binaries = allBinaries(options.components);
  }

  /** The users' kubeconfig (context `docker-desktop`). */
  get kubeconfig(): string {
    return this.layout.kubeconfig;
  }

  get logDir(): string {
    return this.layout.logs;
  }

  /**
   * Starts the cluster and resolves once it serves. Rejects with a UserError when another run
   * is live, and with the failing component's last lines when one fails; either way, whatever
   * this run started is stopped before it rejects.
   */
  async start(): Promise<void> {
    const previous = readOwner(this.layout);
    if (previous && isRunning(previous.owner)) {
      throw new UserError(
        `A cluster is already running (pid ${previous.owner.pid}): stop it first (Ctrl-C where it runs, or kill ${previous.owner.pid})`,
      );
    }
    const failed = new Promise<never>((_, reject) => (this.failure = reject));
    try {
      this.starting = this.bringUp(previous);
      await Promise.race([this.starting, failed]);
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  private async bringUp(previous: OwnerRecord | undefined): Promise<void> {
    const { log } = this.options;
    const { layout, binaries } = this;
    // The kubelet runs the pods on the Docker engine, and the leftovers' removal asks it first.
    await ensureEngine();
    // A run that was killed left its processes, containers and network behind.
    if (previous || fs.existsSync(layout.root)) await this.removeLeftovers(previous);
    this.checkpoint();
    fs.mkdirSync(layout.logs, { recursive: true, mode: 0o700 });
    fs.chmodSync(layout.root, 0o700);
    this.record();
    const address = nodeAddress();
    const started = Date.now();
    await makePki(layout, { kubeadm: binaries['kubeadm'], kubectl: binaries['kubectl'] }, address, versions.kubernetes);
    this.checkpoint();
    const [pause, coredns, localPathProvisioner, busybox] = await Promise.all([
      pauseImage(this.options.kubernetesSource),
      binaryImage('coredns', binaries['coredns'], 65534),
      binaryImage('local-path-provisioner', binaries['local-path-provisioner'], 65534),
      busyboxImage(),
    ]);
    this.checkpoint();
    fs.writeFileSync(layout.kubeletConfig, kubeletConfig({ layout, address }));
    fs.writeFileSync(layout.kubeProxyConfig, kubeProxyConfig(layout));
    fs.mkdirSync(layout.cniConfDir, { recursive: true });
    fs.writeFileSync(cniConfigFile(layout), cniConfig(layout, nodeMtu(address)));
    fs.mkdirSync(layout.volumes, { recursive: true });
    if (await useRuntimeAdapter(binaries['runtime-adapter'], layout.dockerConfigBackup)) {
      log('this machine cannot lower OOM scores: the Docker engine runs containers through the runtime adapter while the cluster runs');
    }

    this.checkpoint();
    fs.writeFileSync(layout.registryConfig, registryConfig(layout));
    fs.writeFileSync(layout.buildkitConfig, buildkitdConfig());
    writeBuilderConfig(layout);

    const processes = hostProcesses({ layout, binaries, address, pauseImage: pause, loadBalancer: this.options.loadBalancer });
    processes.images.forEach((spec) => this.launch(spec));
    this.launch(processes.store);
    await this.waitFor('etcd answers', () => this.httpOk(`http://127.0.0.1:${ports.etcdMetrics}/health`), 30_000, 250);
    this.launch(processes.apiServer);
    await this.waitFor('the API server is ready', () => this.kubectlOk(['get', '--raw', '/readyz']), 60_000, 500);
    await this.kubectl(
      ['apply', '--server-side', '--force-conflicts', '-f', '-'],
      addonManifests(layout, { coredns, localPathProvisioner, busybox }),
    );
    this.checkpoint();
    processes.controlPlane.forEach((spec) => this.launch(spec));
    this.launch(processes.runtime);
    await this.waitFor('cri-dockerd listens', () => fs.existsSync(layout.criSocket), 30_000, 250);
    processes.node.forEach((spec) => this.launch(spec));
    await this.waitFor(`node ${nodeName} is Ready`, () => this.nodeReady(), 90_000, 500);
    processes.addOns.forEach((spec) => this.launch(spec));
    await this.waitFor('the cluster DNS answers', () => this.dnsAnswers(), 120_000, 500);
    await this.waitFor('the image registry answers', () => this.httpOk(`http://127.0.0.1:${ports.registry}/v2/`), 30_000, 250);
    await this.waitFor('BuildKit listens', () => fs.existsSync(layout.buildkitSocket), 30_000, 250);
    log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s (logs: ${layout.logs})`);
  }

  /**
   * Throws once a stop has begun: the start goes no step further, so that nothing it makes (a
   * process, a file, the Docker engine's runtime) comes after the teardown and outlives it.
   */
  private checkpoint(): void {
    if (this.stopping) throw new UserError('the cluster was stopped while it started');
  }

  /** `eventually`, given up at once when a stop begins (a stop during the start waits for it). */
  private waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs: number): Promise<void> {
    return eventually(
      what,
      () => {
        this.checkpoint();
        return check();
      },
      timeoutMs,
      intervalMs,
    );
  }

  /** Starts one host process, its output into its own log file; its unexpected end fails the run. */
  private launch(spec: ProcessSpec): void {
    this.checkpoint();
    const logFile = fs.createWriteStream(path.join(this.layout.logs, `${spec.name}.log`), { flags: 'a', mode: 0o600 });
    this.logStreams.set(spec.name, logFile);
    const child = new ManagedProcess(
      spec,
      (_, line) => logFile.write(`${line}\n`),
      (name, description) => {
        const error = new UserError(
          `${name} ${description}; its last lines: ${child.recentOutput()} (log: ${path.join(this.layout.logs, `${name}.log`)})`,
        );
        if (this.failure) this.failure(error);
      },
    );
    child.start();
    this.processes.push(child);
    this.record();
  }

  /** Writes the owner record: this process and its children, for the next run to judge. */
  private record(): void {
    const children = this.processes
      .map((child) => child.pid)
      .filter((pid): pid is number => pid !== undefined)
      .map((pid) => identify(pid));
    const record: OwnerRecord = { owner: identify(), children };
    fs.writeFileSync(this.layout.owner, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  }

  private async kubectl(args: string[], input?: string): Promise<string> {
    const kubeconfig = componentKubeconfig(this.layout, 'super-admin');
    return new Promise((resolve, reject) => {
      const child = execFile(
        this.binaries['kubectl'],
        ['--kubeconfig', kubeconfig, ...args],
        { maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error) reject(new Error(`kubectl ${args.slice(0, 2).join(' ')} failed: ${(stderr || error.message).trim()}`));
          else resolve(stdout);
        },
      );
      child.stdin?.end(input ?? '');
    });
  }

  private kubectlOk(args: string[]): Promise<boolean> {
    return this.kubectl(args).then(
      () => true,
      () => false,
    );
  }

  private httpOk(url: string): Promise<boolean> {
    return fetch(url).then(
      (response) => response.ok,
      () => false,
    );
  }

  private async nodeReady(): Promise<boolean> {
    const status = await this.kubectl(['get', 'node', nodeName, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']).catch(
      () => '',
    );
    return status === 'True';
  }

  /** The API's own name through the cluster DNS, asked from the host as pods ask. */
  private async dnsAnswers(): Promise<boolean> {
    const resolver = new Resolver({ timeout: 1000, tries: 1 });
    resolver.setServers([network.dnsServiceIp]);
    const addresses: string[] = await resolver.resolve4(`kubernetes.default.svc.${network.dnsDomain}`).catch(() => []);
    return addresses.includes(network.apiServiceIp);
  }

  /**
   * Stops the API server, leaving everything else running, so that one can see what an
   * unreachable cluster does to a stack; `resumeApiServer` starts it again on the same state.
   */
  async pauseApiServer(): Promise<void> {
    await this.processes.find((child) => child.name === 'kube-apiserver')?.stop();
  }

  async resumeApiServer(): Promise<void> {
    const apiServer = this.processes.find((child) => child.name === 'kube-apiserver');
    if (!apiServer || apiServer.running) return;
    apiServer.start();
    this.record();
    await eventually('the API server is ready', () => this.kubectlOk(['get', '--raw', '/readyz']), 60_000, 500);
  }

  /** Stops every process in reverse order, removes the pods' containers, the network and the run folder. */
  stop(): Promise<void> {
    this.stopping ??= this.teardown();
    return this.stopping;
  }

  private async teardown(): Promise<void> {
    this.failure = undefined;
    // A stop during the start (Ctrl-C while it starts): the start ends at its next checkpoint.
    await this.starting?.catch(() => undefined);
    for (const child of [...this.processes].reverse()) await child.stop();
    await this.removeRunState();
    for (const stream of this.logStreams.values()) stream.end();
  }

  private async removeRunState(): Promise<void> {
    await removePodContainers().catch((error: unknown) =>
      this.options.log(`could not remove the pods' containers: ${(error as Error).message}`),
    );
    await restoreRuntime(this.layout.dockerConfigBackup).catch((error: unknown) =>
      this.options.log(`could not restore the Docker engine's runtime: ${(error as Error).message}`),
    );
    await removeNetworking({ kubeProxy: this.binaries['kube-proxy'], kubeRouter: this.binaries['kube-router'] });
    await unmountUnder(this.layout.root);
    // BuildKit unmounts its snapshots when it stops; a killed one leaves them mounted.
    await unmountUnder(this.layout.buildkitRoot);
    fs.rmSync(this.layout.root, { recursive: true, force: true });
  }

  /** What a killed run left: its processes (the very ones it started), containers, network, folder. */
  private async removeLeftovers(previous: OwnerRecord | undefined): Promise<void> {
    this.options.log(`removing what an earlier run left in ${this.layout.root}`);
    for (const child of previous?.children ?? []) {
      if (isRunning(child)) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // It ended meanwhile.
        }
      }
    }
    await this.removeRunState();
  }
}

/** The lines a shell evaluates to use this cluster: kubectl, pulumi and the pinned Node on PATH. */
export function exportLines(kubeconfig: string, pathEntries: string[]): string[] {
  return [`export KUBECONFIG=${kubeconfig}`, `export PATH=${pathEntries.join(':')}:$PATH`];
}
