/**
 * One Pulumi operation on a test stack, in a child process of its own (the program runs inline
 * there; under mocha it would share the mocks' runtime): `node --import tsx <checkout>/test/cluster/
 * support/stack-operation.ts '<json>'`, run from the checkout whose program it deploys. The CLI's
 * output goes to stderr; the last line on stdout is `RESULT <json>`.
 */
import type { OpMap } from '@pulumi/pulumi/automation/index.js';
import * as path from 'node:path';
import { buildComponents } from '../../../scripts/cluster/build/go-build.js';
import { recipes } from '../../../scripts/cluster/build/recipes.js';
import { preparePulumi } from '../../../scripts/cluster/pulumi-home.js';
import {
  existingWorkspace,
  openStack,
  operationOptions,
  prepareWorkspace,
  type WorkspaceOptions,
} from '../../../scripts/rehearse/pulumi-stack.js';
import { deployGatewaySystem } from '../../../stacks/program.js';
import { buildTargetImages } from './image-program.js';

export type Operation = 'preview' | 'up' | 'refresh' | 'destroy' | 'export';

/** The programs a test stack runs: the system (stacks/program.ts), or only its images (image-program.ts). */
export const programs = { system: deployGatewaySystem, images: buildTargetImages };
export type ProgramName = keyof typeof programs;

export interface OperationRequest {
  op: Operation;
  program: ProgramName;
  stack: string;
  stateDir: string;
  /** Fully qualified keys to their text. */
  values: Record<string, string>;
  secretKeys: string[];
  kubeconfig: string;
  dockerConfig: string;
  expectNoChanges?: boolean;
}

export interface OperationResult {
  /** Resource operations by kind: create, update, same, delete, replace... */
  changes: OpMap;
  outputs: Record<string, unknown>;
  /** `export`: the URNs the state holds. */
  urns?: string[];
}

const sourceRoot = path.resolve(__dirname, '..', '..', '..');
const toStderr = (text: string) => process.stderr.write(text);

async function run(request: OperationRequest): Promise<OperationResult> {
  const pulumi = await preparePulumi(await buildComponents(recipes, () => undefined));
  const options: WorkspaceOptions = {
    stateDir: request.stateDir,
    projectDir: sourceRoot,
    config: { stack: request.stack, values: request.values, secretKeys: request.secretKeys },
    pulumi,
    kubeconfig: request.kubeconfig,
    dockerConfig: request.dockerConfig,
  };
  // Destroy and export need no config: the stack file stays as the last `up` left it.
  const needsConfig = request.op === 'preview' || request.op === 'up';
  const workspace = needsConfig ? await prepareWorkspace(options, sourceRoot) : existingWorkspace(options);
  const stack = await openStack(workspace, pulumi, programs[request.program]);
  const outputs = async () => Object.fromEntries(Object.entries(await stack.outputs()).map(([key, output]) => [key, output.value]));
  switch (request.op) {
    case 'preview': {
      const result = await stack.preview({ ...operationOptions(toStderr), expectNoChanges: request.expectNoChanges });
      return { changes: result.changeSummary, outputs: {} };
    }
    case 'up': {
      const result = await stack.up({ ...operationOptions(toStderr), expectNoChanges: request.expectNoChanges });
      return { changes: result.summary.resourceChanges ?? {}, outputs: await outputs() };
    }
    case 'refresh': {
      const result = await stack.refresh(operationOptions(toStderr));
      return { changes: result.summary.resourceChanges ?? {}, outputs: await outputs() };
    }
    case 'destroy': {
      const result = await stack.destroy(operationOptions(toStderr));
      return { changes: result.summary.resourceChanges ?? {}, outputs: {} };
    }
    case 'export': {
      const deployment = (await stack.exportStack()).deployment as { resources?: { urn: string }[] };
      return { changes: {}, outputs: await outputs(), urns: (deployment.resources ?? []).map((resource) => resource.urn) };
    }
  }
}

run(JSON.parse(process.argv[2]) as OperationRequest).then(
  (result) => {
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
    process.exit(0);
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
