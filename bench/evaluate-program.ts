/**
 * Child process of the bench: evaluates the Pulumi program under mocks for one target and prints
 * the times as one JSON line. A fresh process per target, so the cost of importing the cloud
 * SDKs that target needs shows.
 *
 *   tsx bench/evaluate-program.ts <docker-desktop|k3s|aks|eks|gke>
 */
import { performance } from 'node:perf_hooks';
import type { RunOptions } from '../scripts/capture/program-run.js';

export interface ProgramCost {
  target: string;
  /** Loading the mocks harness and the scenario (the Pulumi SDK itself). */
  harnessImportMs: number;
  /** First evaluation: imports the program and the cloud SDKs, then registers every resource. */
  firstRunMs: number;
  /** Second evaluation in the same process: the program alone, modules already loaded. */
  secondRunMs: number;
  resources: number;
}

async function scenarioOf(target: string): Promise<RunOptions> {
  switch (target) {
    case 'docker-desktop':
      return (await import('../test/support/scenarios.js')).dockerDesktop;
    case 'k3s':
      return (await import('../test/support/scenarios.js')).k3s;
    case 'aks':
    case 'eks':
    case 'gke':
      return (await import('../test/stacks/shared/cloud-scenarios.js'))[target];
    default:
      throw new Error(`unknown target '${target}': docker-desktop, k3s, aks, eks or gke`);
  }
}

/**
 * The aks stack exchanges the deployer's token with the registry (POST /oauth2/exchange) while it
 * evaluates; no registry answers here, so a stand-in does, as in test/stacks/aks: the bench
 * measures the program, not the network.
 */
function answerRegistryTokenExchange(): void {
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (url, init) =>
    (url instanceof Request ? url.url : url.toString()).endsWith('/oauth2/exchange')
      ? new Response(JSON.stringify({ refresh_token: 'bench-refresh-token' }), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        })
      : realFetch(url, init);
}

async function main(): Promise<void> {
  const target = process.argv[2] ?? '';
  if (target === 'aks') answerRegistryTokenExchange();
  const started = performance.now();
  const { runProgram } = await import('../scripts/capture/program-run.js');
  const scenario = await scenarioOf(target);
  const imported = performance.now();
  const first = await runProgram(scenario);
  const firstDone = performance.now();
  await runProgram(scenario);
  const cost: ProgramCost = {
    target,
    harnessImportMs: imported - started,
    firstRunMs: firstDone - imported,
    secondRunMs: performance.now() - firstDone,
    resources: first.resources.length,
  };
  process.stdout.write(`${JSON.stringify(cost)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
