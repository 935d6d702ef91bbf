/**
 * A Deployment's pod template as Docker container settings, the way a kubelet would run it:
 * command and args, env, user and group, read-only root, dropped capabilities, no privilege
 * escalation, the default seccomp profile, memory and CPU limits, each emptyDir as a tmpfs and
 * each ConfigMap or Secret volume as read-only files. Pure: the files are described, not written.
 */
import type { IContainer, ILifecycleHandler, IPodSpec, IProbe, IVolume } from 'kubernetes-models/v1';
import type { KubernetesObject } from '../capture/kubernetes-objects.js';

/** A file of a ConfigMap or Secret volume, relative to its mount path. */
export interface VolumeFile {
  path: string;
  content: Buffer;
  mode: number;
}

/** A ConfigMap or Secret volume: its files, bind-mounted read-only, owned root:fsGroup. */
export interface ProjectedVolume {
  name: string;
  files: VolumeFile[];
  group: number;
}

export interface ContainerPlan {
  name: string;
  /** The image reference the pod spec names. */
  image: string;
  /** `docker create` options, except the network, name, labels and image. */
  options: string[];
  /** What follows the image on the command line (the image's entrypoint is replaced by `--entrypoint` in options). */
  commandLine: string[];
  /** Read-only mounts of projected volumes: volume name → mount path. */
  mounts: { volume: string; mountPath: string }[];
  ports: Map<string, number>;
  readiness?: IProbe;
  liveness?: IProbe;
  preStop?: ILifecycleHandler;
}

export interface PodPlan {
  containers: ContainerPlan[];
  volumes: ProjectedVolume[];
  terminationGracePeriodSeconds: number;
}

const defaultVolumeMode = 0o644;

/** `256Mi` → bytes. */
export function memoryBytes(quantity: string | number): number {
  const match = /^(\d+(?:\.\d+)?)([KMGTE]i?|[mk])?$/.exec(String(quantity));
  if (!match) throw new Error(`memory quantity ${quantity} is not one the rehearsal reads`);
  const units: Record<string, number> = { '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
  const unit = units[match[2] ?? ''];
  if (unit === undefined) throw new Error(`memory quantity ${quantity} is not one the rehearsal reads`);
  return Math.round(Number(match[1]) * unit);
}

/** `500m` → 0.5 CPUs. */
export function cpus(quantity: string | number): number {
  const text = String(quantity);
  return text.endsWith('m') ? Number(text.slice(0, -1)) / 1000 : Number(text);
}

function findObject(objects: readonly KubernetesObject[], kind: string, name: string, namespace: string | undefined): KubernetesObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name && (object.metadata.namespace ?? namespace) === namespace);
  if (!found) throw new Error(`the pod template mounts ${kind} ${name}, which the program does not register`);
  return found;
}

/** The object's entries as bytes: ConfigMap data and binaryData, Secret data (base64) and stringData. */
function entries(object: KubernetesObject): Map<string, Buffer> {
  const result = new Map<string, Buffer>();
  const add = (values: unknown, decode: (text: string) => Buffer) => {
    for (const [key, value] of Object.entries((values ?? {}) as Record<string, string>)) result.set(key, decode(value));
  };
  const base64 = (text: string) => Buffer.from(text, 'base64');
  const utf8 = (text: string) => Buffer.from(text, 'utf8');
  if (object.kind === 'Secret') {
    add(object.data, base64);
    add(object.stringData, utf8);
  } else {
    add(object.data, utf8);
    add(object.binaryData, base64);
  }
  return result;
}

function projectedVolume(volume: IVolume, objects: readonly KubernetesObject[], namespace: string | undefined, group: number): ProjectedVolume | undefined {
  const source = volume.configMap
    ? { kind: 'ConfigMap', name: volume.configMap.name ?? '', items: volume.configMap.items, defaultMode: volume.configMap.defaultMode }
    : volume.secret
      ? { kind: 'Secret', name: volume.secret.secretName ?? '', items: volume.secret.items, defaultMode: volume.secret.defaultMode }
      : undefined;
  if (!source) return undefined;
  const data = entries(findObject(objects, source.kind, source.name, namespace));
  const mode = source.defaultMode ?? defaultVolumeMode;
  const files = source.items
    ? source.items.map((item) => {
        const content = data.get(item.key);
        if (!content) throw new Error(`volume ${volume.name}: ${source.kind} ${source.name} has no key ${item.key}`);
        return { path: item.path, content, mode: item.mode ?? mode };
      })
    : [...data].map(([path, content]) => ({ path, content, mode }));
  return { name: volume.name, files, group };
}

function tmpfsOption(volume: IVolume, mountPath: string): string {
  const size = volume.emptyDir?.sizeLimit === undefined ? '' : `,size=${memoryBytes(volume.emptyDir.sizeLimit)}`;
  // An emptyDir is a world-writable folder whose files may be executed, as on the node's disk.
  return `${mountPath}:rw,exec,nosuid,nodev,mode=1777${size}`;
}

function containerPlan(container: IContainer, pod: IPodSpec, volumes: readonly IVolume[]): ContainerPlan {
  const security = container.securityContext ?? {};
  const podSecurity = pod.securityContext ?? {};
  const user = security.runAsUser ?? podSecurity.runAsUser;
  const group = security.runAsGroup ?? podSecurity.runAsGroup;
  const options: string[] = [];
  if (user !== undefined) options.push('--user', group === undefined ? String(user) : `${user}:${group}`);
  if ((security.runAsNonRoot ?? podSecurity.runAsNonRoot) && (user === undefined || user === 0)) {
    throw new Error(`container ${container.name} must run as non-root but its spec gives no non-root runAsUser`);
  }
  if (podSecurity.fsGroup !== undefined) options.push('--group-add', String(podSecurity.fsGroup));
  for (const extra of podSecurity.supplementalGroups ?? []) options.push('--group-add', String(extra));
  if (security.readOnlyRootFilesystem) options.push('--read-only');
  for (const capability of security.capabilities?.drop ?? []) options.push('--cap-drop', capability);
  for (const capability of security.capabilities?.add ?? []) options.push('--cap-add', capability);
  if (security.allowPrivilegeEscalation === false) options.push('--security-opt', 'no-new-privileges');
  if (security.privileged) options.push('--privileged');
  const seccomp = security.seccompProfile?.type ?? podSecurity.seccompProfile?.type;
  // RuntimeDefault is Docker's own default profile; Unconfined is the only other the rehearsal runs.
  if (seccomp === 'Unconfined') options.push('--security-opt', 'seccomp=unconfined');
  const limits = container.resources?.limits ?? {};
  if (limits.memory !== undefined) options.push('--memory', String(memoryBytes(limits.memory)));
  if (limits.cpu !== undefined) options.push('--cpus', String(cpus(limits.cpu)));
  for (const variable of container.env ?? []) {
    if (variable.valueFrom) throw new Error(`container ${container.name}: env ${variable.name} uses valueFrom, which the rehearsal does not run`);
    options.push('--env', `${variable.name}=${variable.value ?? ''}`);
  }
  const mounts: ContainerPlan['mounts'] = [];
  for (const mount of container.volumeMounts ?? []) {
    const volume = volumes.find((candidate) => candidate.name === mount.name);
    if (!volume) throw new Error(`container ${container.name} mounts volume ${mount.name}, which the pod does not declare`);
    if (volume.emptyDir) options.push('--tmpfs', tmpfsOption(volume, mount.mountPath));
    else if (volume.configMap || volume.secret) mounts.push({ volume: volume.name, mountPath: mount.mountPath });
    else throw new Error(`volume ${volume.name}: only emptyDir, configMap and secret volumes are rehearsed`);
  }
  const [entrypoint, ...commandRest] = container.command ?? [];
  if (entrypoint !== undefined) options.push('--entrypoint', entrypoint);
  const ports = new Map((container.ports ?? []).map((port) => [port.name ?? String(port.containerPort), port.containerPort]));
  return {
    name: container.name,
    image: container.image ?? '',
    options,
    commandLine: [...commandRest, ...(container.args ?? [])],
    mounts,
    ports,
    readiness: container.readinessProbe,
    liveness: container.livenessProbe,
    preStop: container.lifecycle?.preStop,
  };
}

/** The plan of one pod of the template; `objects` supplies the ConfigMaps and Secrets it mounts. */
export function podPlan(pod: IPodSpec, namespace: string | undefined, objects: readonly KubernetesObject[]): PodPlan {
  if (pod.initContainers?.length) throw new Error('init containers are not rehearsed');
  const volumes = pod.volumes ?? [];
  const group = pod.securityContext?.fsGroup ?? 0;
  return {
    containers: pod.containers.map((container) => containerPlan(container, pod, volumes)),
    volumes: volumes.flatMap((volume) => projectedVolume(volume, objects, namespace, group) ?? []),
    terminationGracePeriodSeconds: pod.terminationGracePeriodSeconds ?? 30,
  };
}
