import * as pulumi from '@pulumi/pulumi';
import { defaultRetryPolicy, fetchWithRetry, type RetryPolicy } from '../shared/fetch-with-retry.js';

/*
 * Keeping AKS's system pool on the stack's kubernetesVersion. AKS creates a cluster only together
 * with that pool, given inline, and refuses changes to it there; and it no longer upgrades a pool
 * whose version a cluster update leaves out, so raising the version moved the control plane and
 * the stack's own pool while the system pool stayed behind, until AKS refused further upgrades.
 * Managing the pool as an AgentPool resource of its own would mean adopting it with `import`,
 * whose inputs must match every property AKS gave it (an import fails otherwise), including the
 * version of a pool already left behind. So after the control plane and the stack's pool have
 * moved, on each `pulumi up`, the stack reads the system pool through the AgentPools API and
 * upgrades it when it runs another version: an existing stack's lagging pool catches up on its
 * first `up` after upgrading this program, and a failed upgrade is tried again on the next.
 */

/** The AgentPools API version, that of the provider's AgentPool resource. */
const apiVersion = '2025-09-01';

/** An agent pool as ARM answers it, as far as this reads it. */
interface AgentPool {
  properties: {
    orchestratorVersion?: string;
    currentOrchestratorVersion?: string;
    provisioningState?: string;
    [property: string]: unknown;
  };
}

/** Properties ARM reports but refuses, or ignores, in a PUT. */
const readOnlyProperties = ['provisioningState', 'currentOrchestratorVersion', 'nodeImageVersion', 'eTag'];

export interface SystemPoolUpgrade {
  /** ARM id of the cluster (`/subscriptions/…/managedClusters/<name>`). */
  clusterId: string;
  /** The stack's kubernetesVersion, `1.33` or `1.33.2`. */
  version: string;
  /** An Entra ID access token of the deploying identity, for Azure Resource Manager. */
  accessToken: string;
}

export interface UpgradeTiming {
  retry: RetryPolicy;
  /** How often an upgrade in progress is looked at. */
  pollIntervalMs: number;
  /** How long an upgrade may take (a node drained, replaced and made ready again). */
  timeoutMs: number;
}

/** A one-node pool upgrades in about ten minutes; an hour covers a slow region. */
const defaultUpgradeTiming: UpgradeTiming = { retry: defaultRetryPolicy, pollIntervalMs: 15_000, timeoutMs: 60 * 60_000 };

/** True when the pool runs `version`: exactly, or a patch of it when it names only a minor version. */
function runsVersion(pool: AgentPool, version: string): boolean {
  const { orchestratorVersion, currentOrchestratorVersion = '' } = pool.properties;
  return orchestratorVersion === version || currentOrchestratorVersion === version || currentOrchestratorVersion.startsWith(`${version}.`);
}

/** The az command that does what this does, for when it cannot. */
function manualCommand({ clusterId, version }: SystemPoolUpgrade): string {
  const resourceGroup = /\/resourceGroups\/([^/]+)/i.exec(clusterId)?.[1] ?? '<resource group>';
  const cluster = clusterId.split('/').pop();
  return `az aks nodepool upgrade --resource-group ${resourceGroup} --cluster-name ${cluster} --name system --kubernetes-version ${version}`;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Brings the cluster's system pool to `version` unless it runs it, and waits until AKS has done
 * so; answers the version it runs. Fails with a RunError naming the pool and the az command that
 * does the same.
 */
export async function bringSystemPoolTo(upgrade: SystemPoolUpgrade, timing = defaultUpgradeTiming): Promise<string> {
  const url = new URL(`${upgrade.clusterId}/agentPools/system?api-version=${apiVersion}`, 'https://management.azure.com/').href;
  const headers = { authorization: `Bearer ${upgrade.accessToken}`, 'content-type': 'application/json' };
  const request = async (what: string, init: RequestInit): Promise<AgentPool> => {
    const response = await fetchWithRetry(`${what} the system pool of ${upgrade.clusterId}`, url, { ...init, headers }, timing.retry);
    if (!response.ok) {
      throw new pulumi.RunError(
        `Azure refused to ${what} the system pool of ${upgrade.clusterId} (HTTP ${response.status}: ${await response.text()}). ` +
          `It must run Kubernetes ${upgrade.version}, as the cluster does: ${manualCommand(upgrade)}`,
      );
    }
    return (await response.json()) as AgentPool;
  };

  const pool = await request('read', { method: 'GET' });
  if (runsVersion(pool, upgrade.version)) return upgrade.version;
  const properties = Object.fromEntries(Object.entries(pool.properties).filter(([key]) => !readOnlyProperties.includes(key)));
  let state = await request('upgrade', {
    method: 'PUT',
    body: JSON.stringify({ properties: { ...properties, orchestratorVersion: upgrade.version } }),
  });
  for (const deadline = Date.now() + timing.timeoutMs; state.properties.provisioningState !== 'Succeeded';) {
    if (state.properties.provisioningState === 'Failed' || Date.now() > deadline) {
      const why = state.properties.provisioningState === 'Failed' ? 'failed' : `did not finish within ${timing.timeoutMs / 60_000} minutes`;
      throw new pulumi.RunError(
        `The upgrade of the system pool of ${upgrade.clusterId} to ${upgrade.version} ${why}. Once AKS is done with it, run: ${manualCommand(upgrade)}`,
      );
    }
    await sleep(timing.pollIntervalMs);
    state = await request('read', { method: 'GET' });
  }
  return upgrade.version;
}
