import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type LocalSystem, type LocalSystemOptions, startLocalSystem } from '../../../scripts/local/local-system.js';

const repoRoot = join(__dirname, '../../..');

/**
 * Builds the books API and the page when a fresh checkout has no build yet; `npm test` normally
 * builds them first.
 */
export function ensureServicesBuilt(): void {
  const builds: Array<[output: string, app: string]> = [
    ['apps/books/dist/server.js', 'apps/books'],
    ['apps/books-react/dist/index.html', 'apps/books-react'],
  ];
  for (const [output, app] of builds) {
    if (!existsSync(join(repoRoot, output))) {
      execFileSync('npm', ['run', 'build', '--prefix', app], { cwd: repoRoot, stdio: 'ignore', timeout: 120000 });
    }
  }
}

/** Every line the components wrote, by component. */
export type OutputLog = Map<string, string[]>;

/**
 * The whole local system (real books processes, real page, real nginx gateway) for one test
 * file: started before its tests on free ports, stopped after them whatever happened.
 */
export function useLocalSystem(options: LocalSystemOptions = {}): { system: () => LocalSystem; output: OutputLog } {
  let system: LocalSystem | undefined;
  const output: OutputLog = new Map();
  before(async function () {
    this.timeout(150000);
    ensureServicesBuilt();
    system = await startLocalSystem({
      gatewayPort: 0,
      gatewayPlatform: { workerProcesses: 1 },
      ...options,
      onOutput: (component, line) => {
        const lines = output.get(component) ?? [];
        output.set(component, lines);
        lines.push(line);
      },
      onUnexpectedExit: (component, description) => {
        throw new Error(`${component} ${description} during the tests`);
      },
    });
  });
  after(async () => {
    await system?.stop();
  });
  return {
    system: () => {
      if (!system) throw new Error('the local system did not start');
      return system;
    },
    output,
  };
}
