/**
 * A Deployment's controller: keeps `replicas` pods of its current pod template running and, when
 * the template changes, rolls them as Kubernetes does, by `maxSurge` and `maxUnavailable`: new
 * pods are started while the total stays within replicas + maxSurge, and an old pod is stopped
 * only while the pods available (ready for minReadySeconds) stay at least replicas -
 * maxUnavailable. A replica change scales the current template.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { KubernetesObject } from '../capture/kubernetes-objects.js';
import { Pod, type PodEnvironment } from './pod.js';
import { podPlan, type PodPlan } from './pod-spec.js';

export interface DesiredDeployment {
  name: string;
  replicas: number;
  maxSurge: number;
  maxUnavailable: number;
  minReadySeconds: number;
  labels: Record<string, string>;
  /** Changes with the pod template, with the contents of what it mounts, and with the images it runs. */
  templateHash: string;
  plan: PodPlan;
}

/** An int-or-percent of `replicas`: surges round up, unavailability rounds down, as Kubernetes does. */
function scaled(value: number | string | undefined, replicas: number, fallback: string, roundUp: boolean): number {
  const text = String(value ?? fallback);
  if (!text.endsWith('%')) return Number(text);
  const exact = (Number(text.slice(0, -1)) / 100) * replicas;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

export function desiredDeployment(
  object: KubernetesObject,
  objects: readonly KubernetesObject[],
  images: ReadonlyMap<string, string>,
): DesiredDeployment {
  const deployment = object as unknown as IDeployment;
  const spec = deployment.spec;
  const template = spec?.template;
  if (!spec || !template?.spec) throw new Error(`Deployment ${object.metadata.name} has no pod template`);
  const namespace = object.metadata.namespace;
  const plan = podPlan(template.spec, namespace, objects);
  const replicas = spec.replicas ?? 1;
  const rolling = spec.strategy?.rollingUpdate;
  let maxSurge = scaled(rolling?.maxSurge, replicas, '25%', true);
  const maxUnavailable = scaled(rolling?.maxUnavailable, replicas, '25%', false);
  if (spec.strategy?.type === 'Recreate') maxSurge = 0;
  // Kubernetes refuses both at 0; a rollout then could never start.
  if (maxSurge === 0 && maxUnavailable === 0) maxSurge = 1;
  const hash = createHash('sha256');
  hash.update(JSON.stringify(template));
  // A ConfigMap or Secret the pods mount is immutable and replaced under a new name when it
  // changes (the program's own rule); the mocked provider keeps an auto-named Secret's name, so
  // its contents are part of the template here.
  for (const volume of plan.volumes) for (const file of volume.files) hash.update(`${volume.name}/${file.path}\0`).update(file.content);
  for (const container of plan.containers) hash.update(`${container.image}=${images.get(container.image) ?? ''}\0`);
  return {
    name: object.metadata.name,
    replicas,
    maxSurge,
    maxUnavailable,
    minReadySeconds: spec.minReadySeconds ?? 0,
    labels: template.metadata?.labels ?? {},
    templateHash: hash.digest('hex').slice(0, 10),
    plan,
  };
}

export class DeploymentRollout {
  readonly pods: Pod[] = [];
  private running?: Promise<void>;
  private again = false;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private failure?: Error;

  constructor(
    private desired: DesiredDeployment,
    private readonly env: PodEnvironment,
  ) {}

  update(desired: DesiredDeployment): void {
    this.desired = desired;
    this.reconcile();
  }

  /** Current pods only (no terminating ones), each available (ready for minReadySeconds), as many as the replicas. */
  get converged(): boolean {
    return this.settled(this.desired.minReadySeconds);
  }

  /** Like converged, but ready is enough: a first start has nothing older to wait for. */
  get ready(): boolean {
    return this.settled(0);
  }

  private settled(readySeconds: number): boolean {
    const live = this.pods.filter((pod) => !pod.terminating);
    return (
      live.length === this.desired.replicas &&
      live.every((pod) => pod.templateHash === this.desired.templateHash && pod.availableFor(readySeconds))
    );
  }

  /** The error a pod could not be started with, if any. */
  get error(): Error | undefined {
    return this.failure;
  }

  /** Works out the next steps; called on every pod change and every half second until converged. */
  reconcile(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.step()
      .catch((error: Error) => {
        this.failure = error;
        this.env.log(`deployment ${this.desired.name}: ${error.message}`);
      })
      .finally(() => {
        this.running = undefined;
        clearTimeout(this.timer);
        if (this.again) {
          this.again = false;
          this.reconcile();
        } else if (!this.converged && !this.stopped) {
          this.timer = setTimeout(() => this.reconcile(), 500);
        }
      });
  }

  private async step(): Promise<void> {
    const { replicas, maxSurge, maxUnavailable, minReadySeconds, templateHash } = this.desired;
    const live = () => this.pods.filter((pod) => !pod.terminating);
    const current = () => live().filter((pod) => pod.templateHash === templateHash);
    const old = () => live().filter((pod) => pod.templateHash !== templateHash);

    // Scaled down: the newest and the unready go first, at once, as a ReplicaSet does.
    const excess = current().length - replicas;
    if (excess > 0) {
      const victims = [...current()].sort((a, b) => Number(a.ready) - Number(b.ready) || this.pods.indexOf(b) - this.pods.indexOf(a));
      for (const pod of victims.slice(0, excess)) void this.stopPod(pod);
    }

    const toStart = Math.min(replicas - current().length, replicas + maxSurge - live().length);
    await Promise.all(Array.from({ length: Math.max(0, toStart) }, () => this.startPod()));

    let available = live().filter((pod) => pod.availableFor(minReadySeconds)).length;
    const minAvailable = replicas - maxUnavailable;
    const byAvailability = [...old()].sort((a, b) => Number(a.availableFor(minReadySeconds)) - Number(b.availableFor(minReadySeconds)));
    for (const pod of byAvailability) {
      const counts = pod.availableFor(minReadySeconds);
      if (counts && available - 1 < minAvailable) break;
      if (counts) available -= 1;
      void this.stopPod(pod);
    }
  }

  private async startPod(): Promise<void> {
    const { name, templateHash, labels, plan } = this.desired;
    const pod = new Pod(`${name}-${templateHash}-${randomBytes(3).toString('hex')}`, name, templateHash, labels, plan, this.env);
    this.pods.push(pod);
    await pod.start();
  }

  private async stopPod(pod: Pod): Promise<void> {
    await pod.terminate();
    this.pods.splice(this.pods.indexOf(pod), 1);
    this.reconcile();
  }

  /** Removes every pod at once (the rehearsal is ending). */
  async remove(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await Promise.all(this.pods.map((pod) => pod.remove()));
  }
}
