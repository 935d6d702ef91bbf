import assert from 'node:assert/strict';
import { runProgram } from '../../../scripts/capture/program-run.js';
import { assertFailsBeforeAnyResource } from './cloud-assertions.js';
import { aks, eks, gke, withConfig } from './cloud-scenarios.js';
import { azureStandIn } from './azure-stand-in.js';
import { pathFixture } from './commands-on-path.js';

/** No cloud creates a cluster older than 1.30: a stack asking for one stops before its network is made. */
describe("the clouds' kubernetesVersion floor", () => {
  const path = pathFixture();
  const azure = azureStandIn();
  before(() => {
    path.use(['aws', 'gke-gcloud-auth-plugin']);
    azure.install();
  });
  after(() => {
    azure.restore();
    path.restore();
  });

  const clouds = [
    { name: 'aks', scenario: aks, below: '1.29.9', floor: '1.30' },
    { name: 'eks', scenario: eks, below: '1.29', floor: '1.30' },
    { name: 'gke', scenario: gke, below: '1.29.8-gke.1000', floor: '1.30.5-gke.1000' },
  ];
  for (const { name, scenario, below, floor } of clouds) {
    it(`${name}: refuses ${below} before any resource, naming the key, the floor and the command`, async () => {
      await assertFailsBeforeAnyResource(
        withConfig(scenario, { kubernetesVersion: below }),
        new RegExp(
          `books-gateway:kubernetesVersion "${below.replace(/\./g, '\\.')}" is older than 1\\.30.*AKS, EKS and GKE create none older.*pulumi config set kubernetesVersion`,
          's',
        ),
      );
    });

    it(`${name}: accepts ${floor}`, async () => {
      const run = await runProgram(withConfig(scenario, { kubernetesVersion: floor }));
      assert.ok(run.resources.length > 0);
    });
  }
});
