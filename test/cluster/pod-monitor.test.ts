/**
 * The monitoring objects on the real cluster, with the Prometheus Operator's PodMonitor CRD
 * installed as kube-prometheus-stack installs it: the real `pulumi up` of a stack with
 * `podMonitor` and `grafanaDashboard` makes a PodMonitor the API server accepts by the CRD's
 * schema, whose selector and named port lead to the running gateway pods' metrics, and the
 * dashboard ConfigMap where Grafana's sidecar finds it; `pulumi destroy` removes both.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dashboardFile } from '../../components/monitoring.js';
import { podMonitorCrdFile } from '../../scripts/cluster/prometheus-operator.js';
import { eventually } from '../../scripts/toolkit/eventually.js';
import { freePort } from '../../scripts/toolkit/ports.js';
import { pods } from './support/assertions.js';
import { repoRoot, sharedCluster, type RunningCluster } from './support/cluster-process.js';
import { kubeconfigStackConfig } from './support/kubeconfig-stack.js';
import { TestStack } from './support/test-stack.js';

const namespace = 'books-gateway-monitoring';
/** Grafana's namespace, where its sidecar watches only its own. */
const grafanaNamespace = 'grafana';
const crdName = 'podmonitors.monitoring.coreos.com';

interface PodMonitor {
  metadata: { labels: Record<string, string> };
  spec: {
    selector: { matchLabels: Record<string, string> };
    namespaceSelector: { matchNames: string[] };
    podMetricsEndpoints: Array<{ port: string; path: string }>;
  };
}

interface PodList {
  items: Array<{
    metadata: { name: string; deletionTimestamp?: string };
    spec: { containers: Array<{ ports?: Array<{ name?: string; containerPort: number }> }> };
    status: { podIP?: string };
  }>;
}

describe('the PodMonitor and the Grafana dashboard on the real cluster, the Prometheus Operator CRD installed', function () {
  this.timeout(240_000);
  let cluster: RunningCluster;
  let stack: TestStack;
  let port: number;

  before(async function () {
    this.timeout(1_800_000);
    cluster = await sharedCluster();
    // As an operator installs it: server-side, the CRD being larger than client-side apply's annotation.
    await cluster.kubectl(['apply', '--server-side', '-f', await podMonitorCrdFile()]);
    await cluster.kubectl(['wait', '--for', 'condition=Established', '--timeout', '60s', `crd/${crdName}`]);
    await cluster.kubectl(['create', 'namespace', grafanaNamespace]);
    port = await freePort();
    stack = new TestStack(cluster, 'monitoring', {
      ...kubeconfigStackConfig(cluster, namespace, port),
      podMonitor: 'true',
      podMonitorLabels: '{"release":"kube-prometheus-stack"}',
      grafanaDashboard: 'true',
      grafanaDashboardNamespace: grafanaNamespace,
    });
  });
  after(async function () {
    this.timeout(600_000);
    if (this.currentTest?.state === 'failed') console.log(stack.logs.join('\n').split('\n').slice(-120).join('\n'));
    stack.remove();
    await cluster.kubectl(['delete', 'namespace', grafanaNamespace, '--ignore-not-found']);
    await cluster.kubectl(['delete', 'crd', crdName, '--ignore-not-found']);
  });

  it('pulumi up makes a PodMonitor the API server accepts, labelled for kube-prometheus-stack', async function () {
    this.timeout(900_000);
    await stack.expect('up');
    const monitor = JSON.parse(await cluster.kubectl(['-n', namespace, 'get', 'podmonitor', 'gateway', '-o', 'json'])) as PodMonitor;
    assert.equal(monitor.metadata.labels['release'], 'kube-prometheus-stack');
    assert.deepEqual(monitor.spec.namespaceSelector.matchNames, [namespace]);
  });

  it("refuses, by the CRD's schema, the PodMonitor the mocks' schema refuses: the two agree", async () => {
    const monitor = JSON.parse(await cluster.kubectl(['-n', namespace, 'get', 'podmonitor', 'gateway', '-o', 'json'])) as PodMonitor &
      Record<string, unknown>;
    monitor.spec.podMetricsEndpoints[0] = {
      ...monitor.spec.podMetricsEndpoints[0],
      scheme: 'gopher',
    } as PodMonitor['spec']['podMetricsEndpoints'][number];
    await assert.rejects(cluster.kubectl(['apply', '--dry-run=server', '-f', '-'], JSON.stringify(monitor)), /scheme/);
  });

  it('selects exactly the gateway pods, whose port of that name serves the gateway metrics at that path', async () => {
    const monitor = JSON.parse(await cluster.kubectl(['-n', namespace, 'get', 'podmonitor', 'gateway', '-o', 'json'])) as PodMonitor;
    const selector = Object.entries(monitor.spec.selector.matchLabels)
      .map(([key, value]) => `${key}=${value}`)
      .join(',');
    const selected = (
      JSON.parse(await cluster.kubectl(['-n', namespace, 'get', 'pods', '-l', selector, '-o', 'json'])) as PodList
    ).items.filter((pod) => !pod.metadata.deletionTimestamp);
    const gateways = (await pods(cluster, namespace)).filter((pod) => pod.app === 'gateway');
    assert.deepEqual(selected.map((pod) => pod.metadata.name).sort(), gateways.map((pod) => pod.name).sort());
    const [endpoint] = monitor.spec.podMetricsEndpoints;
    assert.equal((await fetch(`http://127.0.0.1:${port}/books`)).status, 200);
    for (const pod of selected) {
      const named = pod.spec.containers.flatMap((container) => container.ports ?? []).find((p) => p.name === endpoint.port);
      assert.ok(named, `${pod.metadata.name} has a container port named ${endpoint.port}`);
      // As Prometheus scrapes it: the pod's address, published nowhere; the read above is counted within seconds.
      const target = `http://${pod.status.podIP}:${named.containerPort}${endpoint.path}`;
      await eventually(
        `${target} counts the read of /books`,
        async () => /^gateway_requests_total\{route="books"\} [1-9]/m.test(await (await fetch(target)).text()),
        20_000,
        500,
      );
    }
  });

  it("puts the dashboard into Grafana's namespace, where its sidecar lists ConfigMaps labelled grafana_dashboard=1", async () => {
    const listed = JSON.parse(
      await cluster.kubectl(['get', 'configmaps', '--all-namespaces', '-l', 'grafana_dashboard=1', '-o', 'json']),
    ) as {
      items: Array<{ metadata: { name: string; namespace: string }; data: Record<string, string> }>;
    };
    assert.deepEqual(
      listed.items.map((map) => `${map.metadata.namespace}/${map.metadata.name}`),
      [`${grafanaNamespace}/${namespace}-dashboard`],
    );
    assert.deepEqual(Object.values(listed.items[0].data), [fs.readFileSync(path.join(repoRoot, dashboardFile), 'utf8')]);
  });

  it("pulumi destroy removes the PodMonitor and the dashboard, and leaves the CRD and Grafana's namespace", async function () {
    this.timeout(600_000);
    await stack.expect('destroy');
    await assert.rejects(cluster.kubectl(['get', 'namespace', namespace]), /NotFound/);
    assert.equal(
      (await cluster.kubectl(['get', 'configmaps', '-n', grafanaNamespace, '-l', 'grafana_dashboard=1', '-o', 'name'])).trim(),
      '',
    );
    await cluster.kubectl(['get', 'crd', crdName]);
  });
});
