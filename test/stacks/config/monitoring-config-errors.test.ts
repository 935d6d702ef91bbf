/**
 * Every mistake in the monitoring keys fails before the first resource is registered, naming the
 * key and what it accepts.
 */
import assert from 'node:assert/strict';
import { runProgramExpectingError } from '../../../scripts/capture/program-run.js';
import { dockerDesktop } from '../../support/scenarios.js';

const cases: Array<{ what: string; config: Record<string, string>; message: RegExp }> = [
  {
    what: 'podMonitor that is not a boolean',
    config: { podMonitor: 'yes' },
    message: /books-gateway:podMonitor must be true or false, got "yes"/,
  },
  {
    what: 'podMonitorLabels that are not a JSON object',
    config: { podMonitor: 'true', podMonitorLabels: 'release=kube-prometheus-stack' },
    message: /books-gateway:podMonitorLabels must be a JSON object of label to value.*pulumi config set podMonitorLabels/,
  },
  {
    what: 'a label key Kubernetes refuses',
    config: { podMonitor: 'true', podMonitorLabels: '{"release name":"x"}' },
    message: /books-gateway:podMonitorLabels: "release name" is not a Kubernetes label key/,
  },
  {
    what: 'a label value that is not a string',
    config: { podMonitor: 'true', podMonitorLabels: '{"release":1}' },
    message: /books-gateway:podMonitorLabels: the value of "release" must be a Kubernetes label value.*got 1/,
  },
  {
    what: 'podMonitorLabels without podMonitor, which would do nothing',
    config: { podMonitorLabels: '{"release":"kube-prometheus-stack"}' },
    message: /books-gateway:podMonitorLabels is set but books-gateway:podMonitor is not true/,
  },
  {
    what: 'grafanaDashboard that is not a boolean',
    config: { grafanaDashboard: '1' },
    message: /books-gateway:grafanaDashboard must be true or false, got "1"/,
  },
  {
    what: 'a dashboard namespace that is no namespace name',
    config: { grafanaDashboard: 'true', grafanaDashboardNamespace: 'Monitoring' },
    message: /books-gateway:grafanaDashboardNamespace must be a valid Kubernetes namespace name/,
  },
  {
    what: 'grafanaDashboardNamespace without grafanaDashboard',
    config: { grafanaDashboardNamespace: 'monitoring' },
    message: /books-gateway:grafanaDashboardNamespace is set but books-gateway:grafanaDashboard is not true/,
  },
];

describe('monitoring config errors', () => {
  for (const { what, config, message } of cases) {
    it(`${what}: fails before any resource, naming the key`, async () => {
      const failure = await runProgramExpectingError({ ...dockerDesktop, config: { ...dockerDesktop.config, ...config } });
      assert.match(failure.error.message, message);
      assert.deepEqual(
        failure.resources.map((resource) => `${resource.type} ${resource.name}`),
        [],
      );
    });
  }
});
