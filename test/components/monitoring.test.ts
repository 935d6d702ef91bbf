/**
 * The monitoring objects a stack can ask for: a PodMonitor that has the Prometheus Operator
 * scrape the gateway pods' metrics port, and the Grafana dashboard as a ConfigMap for Grafana's
 * sidecar; none of them unless asked for, so existing stacks gain nothing.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runProgram, type ProgramRun, type RegisteredResource } from '../../scripts/capture/program-run.js';
import { validateKubernetesObject } from '../../scripts/capture/kubernetes-schemas.js';
import { dockerDesktop, k3s } from '../support/scenarios.js';

const podMonitorType = 'kubernetes:monitoring.coreos.com/v1:PodMonitor';
const configMapType = 'kubernetes:core/v1:ConfigMap';
const namespaceUrn = (run: ProgramRun) => run.named('kubernetes:core/v1:Namespace', 'books-gateway').urn;
const dashboardJson = fs.readFileSync(path.resolve(__dirname, '../../dashboards/gateway.json'), 'utf8');

const withConfig = (config: Record<string, string>) => ({ ...dockerDesktop, config: { ...dockerDesktop.config, ...config } });

describe('monitoring objects', () => {
  it('are not made unless asked for: a stack that sets no monitoring key gains no object', async () => {
    for (const scenario of [dockerDesktop, k3s]) {
      const run = await runProgram(scenario);
      assert.deepEqual(run.ofType(podMonitorType), []);
      assert.deepEqual(
        run
          .ofType(configMapType)
          .map((map) => map.name)
          .filter((name) => name !== 'gateway-config'),
        [],
      );
    }
  });

  describe('podMonitor', () => {
    let run: ProgramRun;
    let monitor: RegisteredResource;
    before(async () => {
      run = await runProgram(withConfig({ podMonitor: 'true', podMonitorLabels: '{"release":"kube-prometheus-stack"}' }));
      monitor = run.named(podMonitorType, 'gateway');
    });

    it('selects exactly the gateway pods, in their namespace, at the port and path their prometheus.io annotations name', () => {
      const gateway = run.named('kubernetes:apps/v1:Deployment', 'gateway').inputs;
      const pod = gateway.spec.template;
      assert.deepEqual(monitor.inputs.spec.selector.matchLabels, gateway.spec.selector.matchLabels);
      assert.deepEqual(monitor.inputs.spec.namespaceSelector, { matchNames: ['books-gateway'] });
      assert.equal(monitor.inputs.metadata.namespace, 'books-gateway');
      const [endpoint] = monitor.inputs.spec.podMetricsEndpoints;
      const port = pod.spec.containers[0].ports.find((p: { name: string }) => p.name === endpoint.port);
      assert.equal(String(port?.containerPort), pod.metadata.annotations['prometheus.io/port']);
      assert.equal(endpoint.path, pod.metadata.annotations['prometheus.io/path']);
      for (const other of ['books', 'books-react']) {
        const labels = run.named('kubernetes:apps/v1:Deployment', other).inputs.spec.template.metadata.labels;
        const selects = Object.entries(monitor.inputs.spec.selector.matchLabels).every(([key, value]) => labels[key] === value);
        assert.ok(!selects, `the PodMonitor selects ${other} pods`);
      }
    });

    it("carries podMonitorLabels beside the system's labels, so kube-prometheus-stack's Prometheus selects it", () => {
      assert.equal(monitor.inputs.metadata.labels.release, 'kube-prometheus-stack');
      assert.equal(monitor.inputs.metadata.labels['app.kubernetes.io/part-of'], 'books-gateway');
    });

    it("is a valid monitoring.coreos.com/v1 PodMonitor by the Operator's schema, made through the stack's provider after the namespace", async () => {
      assert.equal(monitor.inputs.apiVersion, 'monitoring.coreos.com/v1');
      assert.equal(monitor.inputs.kind, 'PodMonitor');
      await validateKubernetesObject(monitor);
      assert.equal(monitor.provider, run.named('kubernetes:apps/v1:Deployment', 'gateway').provider);
      assert.ok(monitor.dependencies.includes(namespaceUrn(run)));
    });

    it('rejects a PodMonitor the Operator would refuse: the schema check can fail', async () => {
      const broken = structuredClone(monitor.inputs);
      broken.spec.podMetricsEndpoints[0].scheme = 'gopher';
      await assert.rejects(validateKubernetesObject({ ...monitor, inputs: broken }), /PodMonitor gateway is not a valid/);
    });
  });

  describe('grafanaDashboard', () => {
    it('puts dashboards/gateway.json into a ConfigMap labelled grafana_dashboard: "1" in the system\'s namespace', async () => {
      const run = await runProgram(withConfig({ grafanaDashboard: 'true' }));
      const map = run.named(configMapType, 'dashboard');
      assert.equal(map.inputs.metadata.labels.grafana_dashboard, '1');
      assert.equal(map.inputs.metadata.namespace, 'books-gateway');
      assert.equal(map.inputs.metadata.name, 'books-gateway-dashboard');
      assert.deepEqual(Object.values(map.inputs.data), [dashboardJson]);
      assert.ok(map.dependencies.includes(namespaceUrn(run)));
      await validateKubernetesObject(map);
    });

    it("goes into grafanaDashboardNamespace, Grafana's own, without waiting for the system's namespace", async () => {
      const run = await runProgram(withConfig({ grafanaDashboard: 'true', grafanaDashboardNamespace: 'monitoring' }));
      const map = run.named(configMapType, 'dashboard');
      assert.equal(map.inputs.metadata.namespace, 'monitoring');
      assert.ok(!map.dependencies.includes(namespaceUrn(run)));
      assert.deepEqual(Object.keys(map.inputs.data), ['books-gateway-dashboard.json']);
    });
  });
});
