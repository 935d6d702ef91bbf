/**
 * A rehearsal: the Kubernetes objects a stack's `pulumi up` would apply, run as containers on the
 * local Docker engine. One network; a DNS server answering each Service's names with its ready
 * pods; each Deployment's pods by its controller, created or changed in `pulumi up`'s order (a
 * Deployment once those it depends on have rolled out); the LoadBalancer Service on 127.0.0.1.
 * Every object it creates carries its run's labels, and `stop` removes them all.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { IService } from 'kubernetes-models/v1';
import type { KubernetesObject, RolloutOrder } from '../capture/kubernetes-objects.js';
import { ClusterDns, serviceNames } from './cluster-dns.js';
import { desiredDeployment, DeploymentRollout, type DesiredDeployment } from './deployment-rollout.js';
import { docker, watchEvents } from './docker.js';
import { runsFolder } from './leftovers.js';
import { LoadBalancer, type Backend } from './load-balancer.js';
import { pauseImage } from './pause-image.js';
import type { Pod, PodEnvironment } from './pod.js';
import { containerLabel, labelOptions, podLabel, runLabel, runLabels } from './rehearsal-labels.js';

export interface ContainerLine {
  pod: string;
  container: string;
  address: string;
  ready: boolean;
  id: string;
}

export interface RehearsalOptions {
  objects: readonly KubernetesObject[];
  rolloutOrder: RolloutOrder;
  /** Image reference in the pod specs → local image (set before start). */
  images?: ReadonlyMap<string, string>;
  gatewayPort: number;
  /** The --apply socket, removed with the rest. */
  controlSocket?: string;
  /** The engine's event stream ended: the rehearsal can no longer see its containers exit. */
  onEngineLost?: () => void;
  log: (line: string) => void;
}

function selects(service: IService, pod: Pod): boolean {
  const selector = service.spec?.selector ?? {};
  return Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => pod.labels[key] === value);
}

function namespaceOf(objects: readonly KubernetesObject[]): string {
  return objects.find((object) => object.metadata.namespace)?.metadata.namespace ?? 'default';
}

export class Rehearsal {
  readonly runId = randomBytes(4).toString('hex');
  readonly folder = path.join(runsFolder, this.runId);
  readonly network = `rehearse-${this.runId}`;
  private objects: readonly KubernetesObject[];
  private rolloutOrder: RolloutOrder;
  private images: ReadonlyMap<string, string>;
  private readonly deployments = new Map<string, DeploymentRollout>();
  /** Desired states not yet handed to their controller: they wait for the Deployments rolled out first. */
  private waiting: DesiredDeployment[] = [];
  private readonly loadBalancer: LoadBalancer;
  private dns?: ClusterDns;
  private env?: PodEnvironment;
  private events?: ReturnType<typeof watchEvents>;
  private stopping = false;

  constructor(private readonly options: RehearsalOptions) {
    this.objects = options.objects;
    this.rolloutOrder = options.rolloutOrder;
    this.images = options.images ?? new Map();
    this.loadBalancer = new LoadBalancer(() => this.loadBalancerBackends());
  }

  private services(): IService[] {
    return this.objects.filter((object) => object.kind === 'Service') as unknown as IService[];
  }

  private pods(): Pod[] {
    return [...this.deployments.values()].flatMap((rollout) => rollout.pods);
  }

  /** The pods of the one LoadBalancer Service that are ready, at its target port. */
  private loadBalancerBackends(): Backend[] {
    const service = this.services().find((candidate) => candidate.spec?.type === 'LoadBalancer');
    const targetPort = service?.spec?.ports?.[0]?.targetPort ?? service?.spec?.ports?.[0]?.port;
    if (!service || targetPort === undefined) return [];
    return this.pods()
      .filter((pod) => pod.ready && selects(service, pod))
      .flatMap((pod) => {
        const port = typeof targetPort === 'number' ? targetPort : pod.port(targetPort);
        return port === undefined ? [] : [{ address: pod.address, port }];
      });
  }

  /** Every Service's names → its ready pods' addresses. */
  private publishDns(): void {
    const records = new Map<string, string[]>();
    const pods = this.pods();
    for (const service of this.services()) {
      const addresses = pods.filter((pod) => pod.ready && selects(service, pod)).map((pod) => pod.address);
      const name = service.metadata?.name ?? '';
      for (const dnsName of serviceNames(name, service.metadata?.namespace ?? 'default')) records.set(dnsName, addresses);
    }
    this.dns?.publish(records);
  }

  /** A pod changed: DNS follows, and its Deployment's controller and those waiting for it look again. */
  private changed(): void {
    this.publishDns();
    for (const rollout of this.deployments.values()) rollout.reconcile();
    this.advance();
  }

  /** Takes the gateway port: first, so that a taken one fails before anything is built or created. */
  async listen(): Promise<void> {
    if (this.services().filter((service) => service.spec?.type === 'LoadBalancer').length > 1) {
      throw new Error('the rehearsal publishes one LoadBalancer Service; the program registers several');
    }
    await this.loadBalancer.listen(this.options.gatewayPort);
  }

  /** Starts everything (after listen) and resolves once every Deployment has all its pods ready. */
  async start(): Promise<void> {
    mkdirSync(this.folder, { recursive: true, mode: 0o700 });
    writeFileSync(path.join(this.folder, 'pid'), String(process.pid));
    const pause = await pauseImage();
    await docker(['network', 'create', ...labelOptions(runLabels(this.runId)), this.network]);
    const dnsAddress = await docker(['network', 'inspect', '--format', '{{(index .IPAM.Config 0).Gateway}}', this.network]);
    this.dns = new ClusterDns(dnsAddress, this.folder);
    await this.dns.start(this.folder);
    this.env = {
      network: this.network,
      dnsAddress,
      namespace: namespaceOf(this.objects),
      pauseImage: pause,
      images: this.images,
      runLabels: runLabels(this.runId),
      folder: this.folder,
      changed: () => this.changed(),
      log: this.options.log,
    };
    this.events = watchEvents(`${runLabel}=${this.runId}`, (event) => {
      if (event.Action !== 'die' || event.Actor.Attributes[containerLabel] === 'pause') return;
      const pod = this.pods().find((candidate) => candidate.name === event.Actor.Attributes[podLabel]);
      pod?.exited(event.id);
    });
    this.events.once('exit', () => {
      if (!this.stopping) this.options.onEngineLost?.();
    });
    this.converge();
    await this.settled('ready');
  }

  /** Makes the Deployments' desired state that of the objects; each reaches its controller in `pulumi up`'s order. */
  private converge(): void {
    const deployments = this.objects.filter((object) => object.kind === 'Deployment');
    this.waiting = deployments.map((object) => desiredDeployment(object, this.objects, this.images));
    for (const [name, rollout] of this.deployments) {
      if (!deployments.some((object) => object.metadata.name === name)) {
        this.deployments.delete(name);
        void rollout.remove();
      }
    }
    this.advance();
    this.publishDns();
  }

  /**
   * Hands each waiting Deployment to its controller once every Deployment it depends on has
   * rolled out, as `pulumi up` waits for a rollout before the resources depending on it: the
   * gateway's pods then resolve their backends' names once those have ready pods.
   */
  private advance(): void {
    const env = this.env;
    if (!env) throw new Error('the rehearsal has not started');
    if (this.stopping) return;
    const rolledOut = (name: string) =>
      !this.waiting.some((desired) => desired.name === name) && this.deployments.get(name)?.converged === true;
    const due = this.waiting.filter((desired) => (this.rolloutOrder[desired.name] ?? []).every(rolledOut));
    this.waiting = this.waiting.filter((desired) => !due.includes(desired));
    for (const desired of due) {
      const rollout = this.deployments.get(desired.name);
      if (rollout) rollout.update(desired);
      else {
        const created = new DeploymentRollout(desired, env);
        this.deployments.set(desired.name, created);
        created.reconcile();
      }
    }
  }

  /** Resolves once every Deployment is ready or has converged; rejects with the first pod that cannot start. */
  private async settled(until: 'ready' | 'converged', timeoutMs = 600_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // A rollout turns converged when its pods have been ready for minReadySeconds, with no
      // pod event to say so: what waits for it is looked at here too.
      if (this.waiting.length) this.advance();
      const rollouts = [...this.deployments.values()];
      const failed = rollouts.find((rollout) => rollout.error);
      if (failed?.error) throw failed.error;
      if (!this.waiting.length && rollouts.every((rollout) => rollout[until])) return;
      if (Date.now() > deadline) throw new Error('the rehearsal did not converge within 10 minutes');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** `--apply`: converge to newly captured objects (a rollout, a scale, a new ConfigMap). */
  async apply(objects: readonly KubernetesObject[], rolloutOrder: RolloutOrder, images: ReadonlyMap<string, string>): Promise<void> {
    this.objects = objects;
    this.rolloutOrder = rolloutOrder;
    this.images = new Map([...this.images, ...images]);
    if (this.env) this.env.images = this.images;
    this.converge();
    await this.settled('converged');
  }

  set localImages(images: ReadonlyMap<string, string>) {
    this.images = images;
  }

  containers(): ContainerLine[] {
    return this.pods()
      .filter((pod) => !pod.terminating)
      .flatMap((pod) => pod.describe());
  }

  /** Removes every container, the network, the DNS server and the run's files. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.events?.kill();
    await this.loadBalancer.close();
    await Promise.all([...this.deployments.values()].map((rollout) => rollout.remove()));
    // Anything a failed start left half-made still carries the run's label.
    const ids = await docker(['ps', '--all', '--quiet', '--filter', `label=${runLabel}=${this.runId}`]).catch(() => '');
    if (ids) await docker(['rm', '--force', '--volumes', ...ids.split('\n')]).catch(() => undefined);
    this.dns?.stop();
    await docker(['network', 'rm', this.network]).catch(() => undefined);
    rmSync(this.folder, { recursive: true, force: true });
    if (this.options.controlSocket) rmSync(this.options.controlSocket, { force: true });
  }
}
