/** Every Kubernetes object the program registers, on both local targets, is valid for the Kubernetes API. */
import assert from 'node:assert/strict';
import { runProgram, type ProgramRun } from '../../scripts/capture/program-run.js';
import { validateKubernetesObject } from '../../scripts/capture/kubernetes-schemas.js';
import { dockerDesktop, k3s } from '../support/scenarios.js';

describe('Kubernetes schemas', () => {
  const runs: Array<[string, ProgramRun]> = [];

  before(async () => {
    runs.push(['docker-desktop', await runProgram(dockerDesktop)]);
    runs.push(['k3s', await runProgram(k3s)]);
    runs.push([
      'docker-desktop, 3 gateways',
      await runProgram({ ...dockerDesktop, config: { ...dockerDesktop.config, gatewayReplicas: '3' } }),
    ]);
  });

  it('accepts every object the program registers', async () => {
    for (const [name, run] of runs) {
      const objects = run.kubernetesObjects();
      assert.ok(objects.length >= 14, `${name} registered ${objects.length} objects`);
      for (const object of objects) await validateKubernetesObject(object);
    }
  });

  it('covers every kind the program registers, the pull Secret and the gateway budget included', () => {
    const kinds = new Set(runs.flatMap(([, run]) => run.kubernetesObjects().map((o) => `${o.type} ${o.name}`)));
    assert.ok(kinds.has('kubernetes:core/v1:Secret registry-credentials'));
    assert.ok(kinds.has('kubernetes:policy/v1:PodDisruptionBudget gateway'));
  });

  it('rejects a broken object: the validation can fail', async () => {
    const [, run] = runs[0];
    const books = run.named('kubernetes:apps/v1:Deployment', 'books');
    const broken = (change: (inputs: typeof books.inputs) => void) => {
      const inputs = structuredClone(books.inputs);
      change(inputs);
      return { ...books, inputs };
    };
    await assert.rejects(validateKubernetesObject(broken((d) => (d.spec.replicas = 'two'))), /books is not a valid/);
    await assert.rejects(validateKubernetesObject(broken((d) => delete d.spec.template.spec.containers[0].name)), /name/);
    await assert.rejects(validateKubernetesObject(broken((d) => (d.spec.strategy.type = 'BlueGreen'))), /Deployment books/);
    await assert.rejects(
      validateKubernetesObject({ type: 'kubernetes:batch/v1:CronJob', name: 'nightly', inputs: {} }),
      /no Kubernetes schema registered for kubernetes:batch\/v1:CronJob/,
    );
  });
});
