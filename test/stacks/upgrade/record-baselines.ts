/**
 * Writes baselines/<scenario>.json: the state each upgrade scenario's stack has after a `pulumi
 * up` of the program as it is checked out (see stack-state.ts). The files in baselines/ were made
 * by the commit they name, the last one before the changes whose upgrade path the tests check;
 * re-record them only to move that point on, after every stack made before it has been upgraded:
 *
 *   node --import tsx test/stacks/upgrade/record-baselines.ts
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runProgram } from '../../../scripts/capture/program-run.js';
import { baselineFolder, recordState } from './stack-state.js';
import { upgradeScenarios, withScenarioEnvironment } from './upgrade-scenarios.js';

async function main(): Promise<void> {
  const commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  fs.mkdirSync(baselineFolder, { recursive: true });
  for (const [scenario, options] of Object.entries(upgradeScenarios)) {
    const state = await withScenarioEnvironment(async () => recordState(await runProgram(options), commit));
    fs.writeFileSync(path.join(baselineFolder, `${scenario}.json`), `${JSON.stringify(state, null, 2)}\n`);
    console.log(`${scenario}: ${state.resources.length} resources`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
