/**
 * The program's own cost: evaluating it under mocks per target (each in a fresh process, so
 * import cost shows) and, on request, the wall time of the whole `npm test`.
 */
import { execFile, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import type { ProgramCost } from './evaluate-program.js';

const run = promisify(execFile);
const repoRoot = join(__dirname, '..');
const tsx = join(repoRoot, 'node_modules/.bin/tsx');

export const programTargets = ['docker-desktop', 'k3s', 'aks', 'eks', 'gke'] as const;

export interface TargetCost extends ProgramCost {
  /** The child process from spawn to exit: Node and tsx start-up included. */
  processWallMs: number;
}

export async function measureProgramCost(): Promise<TargetCost[]> {
  const costs: TargetCost[] = [];
  // One after the other: run side by side on 2 cores they would slow each other down.
  for (const target of programTargets) {
    const started = performance.now();
    const { stdout } = await run(tsx, [join(__dirname, 'evaluate-program.ts'), target], { cwd: repoRoot, timeout: 120000 });
    costs.push({ ...(JSON.parse(stdout.trim()) as ProgramCost), processWallMs: performance.now() - started });
  }
  return costs;
}

export interface TestSuiteCost {
  wallSeconds: number;
  passed: boolean;
  /** Where the run's output went. */
  outputFile: string;
}

/**
 * Runs `npm test` (type-check, build and every test) and times it; its output is kept out of
 * the report but written to a file, which the report names when the run failed.
 */
export async function measureTestSuite(outputFile: string): Promise<TestSuiteCost> {
  const started = performance.now();
  const output = createWriteStream(outputFile);
  const child = spawn('npm', ['test'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(output, { end: false });
  child.stderr.pipe(output, { end: false });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  output.end();
  return { wallSeconds: (performance.now() - started) / 1000, passed: code === 0, outputFile };
}
