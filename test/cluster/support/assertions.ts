/** What the cluster suites check again and again: answers, loads, pods. */
import { strict as assert } from 'node:assert';
import { SteadyLoad, type LoadReport } from '../../faults/support/steady-load.js';
import type { RunningCluster } from './cluster-process.js';

export const ok = (status: number) => status >= 200 && status < 300;

export function assertJsonError(reply: { status: number; headers: Headers; body: string }, status: number, what: string): void {
  assert.equal(reply.status, status, `${what}: ${reply.body}`);
  assert.match(reply.headers.get('content-type') ?? '', /^application\/json/, what);
  assert.equal(typeof (JSON.parse(reply.body) as { error: unknown }).error, 'string', what);
}

/** Steady GETs of /books through the gateway, every non-2xx a loss: at most 120 req/s, under the rate limit. */
export function steadyLoad(url: string): SteadyLoad {
  return new SteadyLoad({
    url: `${url}/books`,
    workers: 3,
    pauseMs: 25,
    retryClosedBeforeAnswer: true,
    check: (answer) => (ok(answer.status) ? undefined : `status ${answer.status}: ${answer.body.slice(0, 120)}`),
  });
}

export function assertNoneLost(report: LoadReport, what: string): void {
  console.log(
    `        ${what}: ${report.exchanges.length} requests, ${report.failures.length} lost, ${report.retriedOnClosedConnection} resent after a close before any answer`,
  );
  assert.ok(report.exchanges.length > 50, `${what}: only ${report.exchanges.length} requests were sent`);
  const failures = report.failures.slice(0, 5).map((failure) => failure.failure ?? `status ${failure.status}`);
  assert.equal(report.failures.length, 0, `${what}: ${report.failures.length} of ${report.exchanges.length} lost: ${failures.join('; ')}`);
}

export interface PodStatus {
  name: string;
  app: string;
  ip: string;
  ready: boolean;
  /** `docker://<id>`, one per container. */
  containerIds: string[];
}

/** The pods of a namespace, as the API server reports them. */
export async function pods(cluster: RunningCluster, namespace: string): Promise<PodStatus[]> {
  const list = JSON.parse(await cluster.kubectl(['-n', namespace, 'get', 'pods', '-o', 'json'])) as {
    items: {
      metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string };
      status: { podIP?: string; conditions?: { type: string; status: string }[]; containerStatuses?: { containerID?: string }[] };
    }[];
  };
  return list.items
    .filter((pod) => !pod.metadata.deletionTimestamp)
    .map((pod) => ({
      name: pod.metadata.name,
      app: pod.metadata.labels?.['app.kubernetes.io/name'] ?? '',
      ip: pod.status.podIP ?? '',
      ready: pod.status.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false,
      containerIds: (pod.status.containerStatuses ?? []).map((container) => container.containerID ?? ''),
    }));
}

/** The ready pods of each of the system's workloads: what a deployed stack runs. */
export function readyPodsByApp(running: readonly PodStatus[]): Record<'books' | 'books-react' | 'gateway' | 'postgres', number> {
  const count = (app: string) => running.filter((pod) => pod.app === app && pod.ready).length;
  return { books: count('books'), 'books-react': count('books-react'), gateway: count('gateway'), postgres: count('postgres') };
}
