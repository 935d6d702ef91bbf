import type * as k8s from '@pulumi/kubernetes';
import type * as pulumi from '@pulumi/pulumi';
import { selectorLabels, workloadLabels } from './labels.js';
import { terminationGraceSeconds, type HttpProbe, type Workload } from './workloads.js';

type PodSpec = k8s.types.input.core.v1.PodSpec;
type Container = k8s.types.input.core.v1.Container;

/** A ConfigMap or Secret mounted read-only into the workload's container. */
export interface ReadOnlyVolume {
  /** Volume name in the pod. */
  name: string;
  source: { kind: 'configMap' | 'secret'; name: pulumi.Input<string> };
  mountPath: string;
}

export interface DeploymentOptions {
  namespace: string;
  replicas: number;
  /** Image reference the pods run: `repo:tag@digest` when pushed, the content tag when loaded. */
  image: pulumi.Input<string>;
  /** The image pull Secret, when the registry needs credentials the nodes do not have. */
  imagePullSecret?: pulumi.Input<string>;
  /** Pod annotations; a change rolls the pods (the gateway's configuration checksum). */
  podAnnotations?: Record<string, pulumi.Input<string>>;
  /** Mounted into the workload's container. */
  readOnlyVolumes?: ReadOnlyVolume[];
}

/**
 * Pod-level security: the restricted Pod Security Standard, with the image's numeric user. The
 * volumes' files belong to its group too (`fsGroup`), so a Secret can be readable by that group
 * alone (mode 0440) rather than by every user.
 */
export function podSecurityContext(workload: Workload): k8s.types.input.core.v1.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: workload.user,
    runAsGroup: workload.user,
    fsGroup: workload.user,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Container-level security: no privilege, no capability, nothing written outside its emptyDirs. */
export function containerSecurityContext(): k8s.types.input.core.v1.SecurityContext {
  return {
    runAsNonRoot: true,
    privileged: false,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

function httpGet(probe: HttpProbe) {
  return { httpGet: { path: probe.path, port: probe.port }, timeoutSeconds: 2 };
}

/** `/tmp/nginx` → `tmp-nginx`: a volume name per writable folder. */
export function writableVolumeName(dir: string): string {
  return dir
    .replace(/^\/+/, '')
    .replace(/[^a-z0-9]+/gi, '-')
    .toLowerCase();
}

function container(workload: Workload, options: DeploymentOptions): Container {
  const ports = Object.entries({ http: workload.port, ...workload.otherPorts }).map(([name, containerPort]) => ({
    name,
    containerPort,
    protocol: 'TCP',
  }));
  return {
    name: workload.name,
    image: options.image,
    // Tags are content-derived or pinned by digest, so a present image is the right one.
    imagePullPolicy: 'IfNotPresent',
    command: workload.command ? [...workload.command] : undefined,
    env: workload.env,
    ports,
    // Ready only when it answers: a rollout waits for it, its Service sends it nothing before.
    readinessProbe: { ...httpGet(workload.probes.readiness), periodSeconds: 5, failureThreshold: 2 },
    livenessProbe: { ...httpGet(workload.probes.liveness), periodSeconds: 10, failureThreshold: 3 },
    startupProbe:
      workload.probes.startupSeconds === undefined
        ? undefined
        : { ...httpGet(workload.probes.liveness), periodSeconds: 5, failureThreshold: workload.probes.startupSeconds / 5 },
    // Keep serving while the endpoints, load balancers and the gateway's resolver stop sending
    // new requests here; only then does the process get its stop signal. The image's own `sleep`
    // (every image here has one), not the hook's sleep action: API servers before 1.30 refuse
    // that action, and an existing cluster (k3s, kubeconfig) may be that old.
    lifecycle: { preStop: { exec: { command: ['sleep', String(workload.rollout.preStopPauseSeconds)] } } },
    resources: workload.resources,
    securityContext: containerSecurityContext(),
    volumeMounts: [
      ...workload.writableDirs.map((dir) => ({ name: writableVolumeName(dir), mountPath: dir })),
      ...(options.readOnlyVolumes ?? []).map((volume) => ({ name: volume.name, mountPath: volume.mountPath, readOnly: true })),
    ],
  };
}

/** Secret files: readable by the owner and the pod's fsGroup only (Kubernetes' default is 0644). */
export const secretFileMode = 0o440;

function readOnlyVolumeSource({ name, source }: ReadOnlyVolume): k8s.types.input.core.v1.Volume {
  return source.kind === 'secret'
    ? { name, secret: { secretName: source.name, defaultMode: secretFileMode } }
    : { name, configMap: { name: source.name } };
}

function podSpec(workload: Workload, options: DeploymentOptions): PodSpec {
  return {
    securityContext: podSecurityContext(workload),
    // None of the workloads talks to the Kubernetes API, nor needs Service environment variables.
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    terminationGracePeriodSeconds: terminationGraceSeconds(workload),
    imagePullSecrets: options.imagePullSecret === undefined ? undefined : [{ name: options.imagePullSecret }],
    // Replicas on different nodes where there are several, so a node failure takes only some.
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: selectorLabels(workload.name, options.namespace) },
      },
    ],
    containers: [container(workload, options)],
    volumes: [
      ...workload.writableDirs.map((dir) => ({ name: writableVolumeName(dir), emptyDir: { sizeLimit: '64Mi' } })),
      ...(options.readOnlyVolumes ?? []).map(readOnlyVolumeSource),
    ],
  };
}

/**
 * The Deployment of a workload. Rolling updates start a new pod and wait for it to be ready, and
 * to have stayed ready for the workload's `minReadySeconds`, before stopping an old one
 * (`maxUnavailable: 0`), so capacity never drops during a rollout.
 */
export function deploymentArgs(workload: Workload, options: DeploymentOptions): k8s.apps.v1.DeploymentArgs {
  const labels = workloadLabels(workload.name, workload.component, options.namespace);
  return {
    metadata: { name: workload.name, namespace: options.namespace, labels },
    spec: {
      replicas: options.replicas,
      minReadySeconds: workload.rollout.minReadySeconds,
      revisionHistoryLimit: 5,
      selector: { matchLabels: selectorLabels(workload.name, options.namespace) },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels, annotations: options.podAnnotations },
        spec: podSpec(workload, options),
      },
    },
  };
}
