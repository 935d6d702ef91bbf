/**
 * The stacks whose state baselines/ records, as a program run under mocks: each target that
 * reaches a cluster through a kubeconfig or creates one, with its defaults and with the keys an
 * upgrade path depends on. `withScenarioEnvironment` gives the run what the targets check or call
 * outside Pulumi (the exec plugins on the PATH, the Azure endpoints).
 */
import type { RunOptions } from '../../../scripts/capture/program-run.js';
import { k3s, kindKubeconfig } from '../../support/scenarios.js';
import { azureStandIn, type AzureStandIn } from '../shared/azure-stand-in.js';
import { aks, eks, gke, withConfig } from '../shared/cloud-scenarios.js';
import { pathFixture } from '../shared/commands-on-path.js';

export const upgradeScenarios: Record<string, RunOptions> = {
  k3s,
  'kubeconfig-file': {
    config: { target: 'kubeconfig', kubeconfig: kindKubeconfig, imageRegistry: 'registry.example.com/books' },
    secretKeys: ['kubeconfig'],
  },
  'kubeconfig-context': { config: { target: 'kubeconfig', kubeContext: 'kind-books', imageRegistry: 'localhost:5001' } },
  aks,
  'aks-pinned': withConfig(aks, { kubernetesVersion: '1.33', nodeCount: '3' }),
  eks,
  'eks-pinned': withConfig(eks, { kubernetesVersion: '1.33' }),
  gke,
};

export type UpgradeScenario = keyof typeof upgradeScenarios;

/** The PATH and the Azure stand-in every scenario needs, for the length of `body`. */
export async function withScenarioEnvironment<T>(body: (azure: AzureStandIn) => Promise<T>): Promise<T> {
  const path = pathFixture();
  const azure = azureStandIn();
  path.use(['aws', 'gke-gcloud-auth-plugin']);
  azure.install();
  try {
    return await body(azure);
  } finally {
    azure.restore();
    path.restore();
  }
}
