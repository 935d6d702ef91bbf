/**
 * One pod of a Deployment, as the kubelet runs it, in Docker: a pause container holding the pod's
 * network namespace (so its containers reach each other on localhost, and one restarting keeps
 * the pod's address), then each container of the template. Readiness probes decide whether the
 * pod is ready (in its Services' DNS answer); a failed liveness probe or an exit restarts the
 * container, with the kubelet's back-off; stopping runs preStop, then the stop signal, then
 * SIGKILL once terminationGracePeriodSeconds are up.
 */
import { chmodSync, chownSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ILifecycleHandler } from 'kubernetes-models/v1';
import { docker } from './docker.js';
import type { ContainerPlan, PodPlan } from './pod-spec.js';
import { ProbeLoop } from './probes.js';
import { containerLabel, labelOptions, podLabel } from './rehearsal-labels.js';

/** What a pod needs from the rehearsal it runs in. */
export interface PodEnvironment {
  network: string;
  dnsAddress: string;
  namespace: string;
  pauseImage: string;
  /** Image reference in the pod spec → the local image to run. */
  images: ReadonlyMap<string, string>;
  /** Labels of every object of the run. */
  runLabels: Record<string, string>;
  /** Where the pod's ConfigMap and Secret files are written. */
  folder: string;
  /** Called whenever the pod's readiness (or its termination) changes. */
  changed: () => void;
  log: (line: string) => void;
}

interface RunningContainer {
  plan: ContainerPlan;
  id: string;
  ready: boolean;
  restarts: number;
  /** Set while the rehearsal itself stops or restarts it: its exit is then expected. */
  stopping: boolean;
  lastStart: number;
  probes: ProbeLoop[];
}

/** The kubelet's restart back-off: 10 s doubling to 5 min; reset after 10 min of running. */
function restartDelayMs(container: RunningContainer): number {
  if (Date.now() - container.lastStart > 600_000) container.restarts = 0;
  return container.restarts === 0 ? 0 : Math.min(300_000, 10_000 * 2 ** (container.restarts - 1));
}

export class Pod {
  address = '';
  terminating = false;
  /** When the pod last became ready (for minReadySeconds), undefined while it is not. */
  readySince?: number;
  private pauseId = '';
  private readonly containers: RunningContainer[] = [];
  private readonly volumeFolder: string;

  constructor(
    readonly name: string,
    readonly deployment: string,
    readonly templateHash: string,
    readonly labels: Record<string, string>,
    private readonly plan: PodPlan,
    private readonly env: PodEnvironment,
  ) {
    this.volumeFolder = path.join(env.folder, name);
  }

  get ready(): boolean {
    return !this.terminating && this.containers.length === this.plan.containers.length && this.containers.every((c) => c.ready);
  }

  /** Ready for at least `seconds`: available, as a Deployment counts it. */
  availableFor(seconds: number): boolean {
    return this.ready && this.readySince !== undefined && Date.now() - this.readySince >= seconds * 1000;
  }

  /** The pod's containers as the rehearsal lists them. */
  describe(): { pod: string; container: string; address: string; ready: boolean; id: string }[] {
    return this.containers.map((c) => ({ pod: this.name, container: c.plan.name, address: this.address, ready: c.ready, id: c.id }));
  }

  /** A named container port of the pod (a Service's targetPort). */
  port(name: string): number | undefined {
    return this.plan.containers.map((container) => container.ports.get(name)).find((port) => port !== undefined);
  }

  containerIds(): string[] {
    return [this.pauseId, ...this.containers.map((c) => c.id)].filter(Boolean);
  }

  private labelsFor(container: string): string[] {
    return labelOptions({ ...this.labels, ...this.env.runLabels, [podLabel]: this.name, [containerLabel]: container });
  }

  private dockerName(container?: string): string {
    return `rehearse-${this.env.runLabels['books-gateway.rehearse/run']}-${this.name}${container ? `-${container}` : ''}`;
  }

  private writeVolumes(): Map<string, string> {
    const folders = new Map<string, string>();
    for (const volume of this.plan.volumes) {
      const folder = path.join(this.volumeFolder, volume.name);
      mkdirSync(folder, { recursive: true, mode: 0o755 });
      for (const file of volume.files) {
        const target = path.join(folder, file.path);
        mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
        writeFileSync(target, file.content);
        chmodSync(target, file.mode);
        // Owned as the kubelet owns them: root, with the pod's fsGroup as group.
        chownSync(target, 0, volume.group);
      }
      folders.set(volume.name, folder);
    }
    return folders;
  }

  async start(): Promise<void> {
    const volumes = this.writeVolumes();
    const { namespace } = this.env;
    this.pauseId = await docker([
      'run', '--detach', '--name', this.dockerName(), '--hostname', this.name,
      '--network', this.env.network, '--dns', this.env.dnsAddress,
      // A pod's resolv.conf: its namespace's Services first, as the kubelet writes it.
      '--dns-search', `${namespace}.svc.cluster.local`, '--dns-search', 'svc.cluster.local', '--dns-search', 'cluster.local',
      '--dns-option', 'ndots:5',
      '--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '--user', '65535:65535',
      ...this.labelsFor('pause'), this.env.pauseImage,
    ]);
    this.address = await docker(['inspect', '--format', `{{(index .NetworkSettings.Networks "${this.env.network}").IPAddress}}`, this.pauseId]);
    for (const plan of this.plan.containers) {
      const image = this.env.images.get(plan.image);
      if (!image) throw new Error(`no local image for ${plan.image}`);
      const mounts = plan.mounts.flatMap((mount) => ['--volume', `${volumes.get(mount.volume)}:${mount.mountPath}:ro`]);
      const id = await docker([
        'run', '--detach', '--name', this.dockerName(plan.name), '--network', `container:${this.pauseId}`,
        ...plan.options, ...mounts, ...this.labelsFor(plan.name), image, ...plan.commandLine,
      ]);
      const container: RunningContainer = { plan, id, ready: !plan.readiness, restarts: 0, stopping: false, lastStart: Date.now(), probes: [] };
      this.containers.push(container);
      this.startProbes(container);
    }
    this.changed();
  }

  private changed(): void {
    const ready = this.ready;
    if (ready && this.readySince === undefined) this.readySince = Date.now();
    if (!ready) this.readySince = undefined;
    this.env.changed();
  }

  private startProbes(container: RunningContainer): void {
    const target = () => (this.terminating ? undefined : { address: this.address, ports: container.plan.ports, containerId: container.id });
    const { readiness, liveness } = container.plan;
    if (readiness) {
      container.probes.push(new ProbeLoop(readiness, target, (passing) => {
        container.ready = passing;
        this.changed();
      }, false));
    }
    if (liveness) {
      container.probes.push(new ProbeLoop(liveness, target, (passing) => {
        if (!passing && !container.stopping) {
          this.env.log(`${this.name}/${container.plan.name}: liveness probe failed; restarting it`);
          void this.restart(container, true);
        }
      }, true));
    }
    for (const probe of container.probes) probe.start();
  }

  /** A container of this pod exited: restarted, unless the pod or the rehearsal is stopping it. */
  exited(containerId: string): void {
    const container = this.containers.find((c) => c.id === containerId);
    if (!container || container.stopping || this.terminating) return;
    this.env.log(`${this.name}/${container.plan.name}: exited; restarting it`);
    void this.restart(container, false);
  }

  private async restart(container: RunningContainer, kill: boolean): Promise<void> {
    container.stopping = true;
    for (const probe of container.probes) probe.stop();
    container.probes = [];
    container.ready = !container.plan.readiness;
    if (container.plan.readiness) this.changed();
    if (kill) await this.stopContainer(container, this.plan.terminationGracePeriodSeconds);
    await new Promise((resolve) => setTimeout(resolve, restartDelayMs(container)));
    if (this.terminating) return;
    container.restarts += 1;
    container.lastStart = Date.now();
    await docker(['start', container.id]).catch((error: Error) => this.env.log(`${this.name}/${container.plan.name}: ${error.message}`));
    container.stopping = false;
    this.startProbes(container);
  }

  private async preStop(handler: ILifecycleHandler | undefined, container: RunningContainer): Promise<void> {
    if (handler?.sleep) await new Promise((resolve) => setTimeout(resolve, handler.sleep!.seconds * 1000));
    else if (handler?.exec?.command) await docker(['exec', container.id, ...handler.exec.command]).catch(() => undefined);
  }

  /** preStop, then the image's stop signal, then SIGKILL once the grace is up (counted from the start). */
  private async stopContainer(container: RunningContainer, graceSeconds: number): Promise<void> {
    const started = Date.now();
    await Promise.race([this.preStop(container.plan.preStop, container), new Promise((resolve) => setTimeout(resolve, graceSeconds * 1000))]);
    const left = Math.max(2, Math.ceil(graceSeconds - (Date.now() - started) / 1000));
    await docker(['stop', '--time', String(left), container.id], { timeoutMs: (left + 30) * 1000 }).catch(() => undefined);
  }

  /**
   * Stops the pod as the kubelet does: it leaves its Services at once (not ready), then each
   * container runs its preStop and gets its stop signal; then everything of the pod is removed.
   */
  async terminate(): Promise<void> {
    if (this.terminating) return;
    this.terminating = true;
    this.changed();
    for (const container of this.containers) {
      container.stopping = true;
      for (const probe of container.probes) probe.stop();
    }
    await Promise.all(this.containers.map((container) => this.stopContainer(container, this.plan.terminationGracePeriodSeconds)));
    await this.remove();
  }

  /** Removes the pod's containers and files at once (cleanup, not a graceful stop). */
  async remove(): Promise<void> {
    this.terminating = true;
    for (const container of this.containers) {
      container.stopping = true;
      for (const probe of container.probes) probe.stop();
    }
    const ids = this.containerIds();
    if (ids.length) await docker(['rm', '--force', '--volumes', ...ids]).catch(() => undefined);
    rmSync(this.volumeFolder, { recursive: true, force: true });
  }
}
