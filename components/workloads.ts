import type * as k8s from '@pulumi/kubernetes';
import {
  clusterPlatform,
  defaultTimeouts,
  gatewayImageCommand,
  gatewayPorts,
  healthPath,
  type UpstreamTimeouts,
} from '../apps/gateway/src/index.js';
import type { ImageName } from './target.js';

/** What GatewayStack needs to know about each of the three workloads and their images. */
export interface Workload {
  name: ImageName;
  /** `app.kubernetes.io/component`. */
  component: string;
  /** The container port (named `http`) its Service sends traffic to. */
  port: number;
  /** Further container ports by name, never exposed by a Service. */
  otherPorts?: Record<string, number>;
  /**
   * GET probes: readiness takes the pod out of its Service; liveness restarts a hung process.
   * `startupSeconds`: how long a starting process may take to answer before liveness applies
   * (default: liveness from the start).
   */
  probes: { readiness: HttpProbe; liveness: HttpProbe; startupSeconds?: number };
  /**
   * The image user's numeric uid (and gid): the kubelet can only enforce `runAsNonRoot` on a
   * numeric user, so the pod states it rather than trusting the image's USER line.
   */
  user: number;
  /** Folders the process writes to: each an emptyDir, so the root filesystem stays read-only. */
  writableDirs: string[];
  resources: k8s.types.input.core.v1.ResourceRequirements;
  env?: k8s.types.input.core.v1.EnvVar[];
  /** Overrides the image's entrypoint, where the pod must not depend on what the image runs first. */
  command?: readonly string[];
  rollout: RolloutTimings;
}

/** How a workload's pods hand over to each other, so that no route sends a request into a gap. */
export interface RolloutTimings {
  /** How long a new pod must stay ready before the rollout counts it available and stops an old one. */
  minReadySeconds: number;
  /**
   * How long a terminating pod keeps serving (its preStop pause) before it is told to stop: long
   * enough for it to leave every route that sends it traffic.
   */
  preStopPauseSeconds: number;
}

export interface HttpProbe {
  path: string;
  /** A container port name. */
  port: string;
}

/**
 * The gateway's upstream timeouts: the renderer's defaults, the same as `npm run local` runs.
 * They bound the longest request the system serves, which the shutdown timings below are
 * derived from.
 */
export const gatewayTimeouts: Readonly<Required<UpstreamTimeouts>> = defaultTimeouts;

/**
 * The longest a request may take through the gateway before it answers 504: tries on other
 * backends may start until the retry budget is spent, and the last one still gets its full
 * connect and read time.
 */
export const longestRequestSeconds = gatewayTimeouts.retryBudget + gatewayTimeouts.connect + gatewayTimeouts.read;

/**
 * The backends are reached only through the gateway. A terminating backend leaves the headless
 * Service's DNS answer at once, but the gateway re-resolves only every 10 s (its `resolver ...
 * valid=10s`) and cluster DNS caches up to 5 s: it keeps serving 15 s. A new one is used as soon
 * as it is ready, so it needs no settling time.
 */
const backendRollout: RolloutTimings = { minReadySeconds: 0, preStopPauseSeconds: 15 };

/**
 * The gateway is reached through the cluster's load balancer. A cloud's, with `externalTrafficPolicy:
 * Local`, sends traffic only to nodes whose kube-proxy health check reports a ready gateway pod,
 * and notices a change only after a few check rounds: AWS's NLB (EKS) checks every 10 s and acts
 * after 2 results (20 s), GCP's (GKE) every 8 s, healthy after 1 and unhealthy after 3 (24 s),
 * Azure's every 5 s, after 2 (10 s). With one replica, a rollout that stopped the old pod as soon
 * as the new one is ready would leave the load balancer no healthy node until it caught up. So a
 * new gateway pod counts as available only after the load balancer's settle time (30 s where it is
 * a cloud's), and a terminating one (whose node's check fails at once) keeps serving as long while
 * the load balancer stops sending it new connections, and at least as long as a backend does.
 * Docker Desktop's forwards to the Service's cluster IP, which follows the pods within a second.
 */
export const defaultLoadBalancerSettleSeconds = 30;

/** The gateway's rollout behind a load balancer that takes `settleSeconds` to notice a pod come or go. */
export function gatewayRollout(settleSeconds: number): RolloutTimings {
  return { minReadySeconds: settleSeconds, preStopPauseSeconds: Math.max(settleSeconds, backendRollout.preStopPauseSeconds) };
}

/**
 * The grace the kubelet gives a pod from the start of its termination: the pause, then the
 * longest request in flight, then a margin for the process to exit.
 */
export function terminationGraceSeconds(workload: Workload): number {
  return workload.rollout.preStopPauseSeconds + longestRequestSeconds + 3;
}

/**
 * nginx workers for a container's CPU limit (`250m`, `1`, `1.5`): one per whole CPU it may use,
 * at least one. nginx's `auto` counts the node's CPUs instead: 16 workers, each with its own
 * upstream connection pools and memory, throttled inside one CPU on a 16-core node.
 */
export function nginxWorkerProcesses(cpuLimit: string): number {
  const match = /^(\d+(?:\.\d+)?)(m?)$/.exec(cpuLimit);
  if (!match) throw new Error(`not a CPU quantity nginx workers can be derived from: "${cpuLimit}"`);
  const cores = Number(match[1]) / (match[2] ? 1000 : 1);
  return Math.max(1, Math.ceil(cores));
}

const pageCpuLimit = '250m';
/** Every request of the system passes the gateway: a generous limit keeps throttling from adding latency. */
export const gatewayCpuLimit = '1';

/** Where the books pods find their database's Secret (books-database.ts), whose key `url` is the file. */
export const booksDatabaseDir = '/run/secrets/books-database';

const nginxUser = 101; // nginxinc/nginx-unprivileged
const nodeUser = 1000; // the `node` user of the official Node.js images

export const workloads: Record<ImageName, Workload> = {
  books: {
    name: 'books',
    component: 'api',
    port: 5000,
    probes: {
      readiness: { path: '/readyz', port: 'http' },
      liveness: { path: '/healthz', port: 'http' },
      // It listens once its database's schema is up to date: on a first `up`, after PostgreSQL
      // has initialised its volume; after a database outage, once it is back. A restart would
      // not bring the database sooner.
      startupSeconds: 300,
    },
    user: nodeUser,
    writableDirs: ['/tmp'],
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
    env: [
      { name: 'PORT', value: '5000' },
      // Requests in flight at SIGTERM may take as long as the gateway waits for them.
      { name: 'SHUTDOWN_TIMEOUT_MS', value: String(longestRequestSeconds * 1000) },
      // A file of a Secret, not a variable: the URL holds the database's password.
      { name: 'DATABASE_URL_FILE', value: `${booksDatabaseDir}/url` },
    ],
    rollout: backendRollout,
  },
  'books-react': {
    name: 'books-react',
    component: 'frontend',
    port: 3000,
    probes: { readiness: { path: '/', port: 'http' }, liveness: { path: '/', port: 'http' } },
    user: nginxUser,
    writableDirs: ['/tmp'],
    resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: pageCpuLimit, memory: '64Mi' } },
    // nginx in the foreground with the workers its CPU limit allows (the image's nginx.conf leaves
    // worker_processes to this), bypassing the base image's entrypoint scripts, which would edit
    // files on the read-only root filesystem.
    command: ['nginx', '-g', `daemon off; worker_processes ${nginxWorkerProcesses(pageCpuLimit)};`],
    rollout: backendRollout,
  },
  gateway: {
    name: 'gateway',
    component: 'gateway',
    port: gatewayPorts.public,
    otherPorts: { status: gatewayPorts.status },
    probes: { readiness: { path: healthPath, port: 'status' }, liveness: { path: healthPath, port: 'status' } },
    user: nginxUser,
    writableDirs: [clusterPlatform.runDir],
    // nginx on the rendered configuration, bypassing the base image's entrypoint scripts (which
    // would try to edit files on the read-only root filesystem).
    command: gatewayImageCommand,
    resources: { requests: { cpu: '50m', memory: '32Mi' }, limits: { cpu: gatewayCpuLimit, memory: '128Mi' } },
    rollout: gatewayRollout(defaultLoadBalancerSettleSeconds),
  },
};
