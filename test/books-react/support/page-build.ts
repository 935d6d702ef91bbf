import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

export const REPO_ROOT = resolve(__dirname, '../../..');

let build: Promise<string> | undefined;

/**
 * The page built from the current source by its own `npm run build` (type check + vite build),
 * into a temporary folder rather than apps/books-react/dist, which others may be serving.
 * Built once per test run; the folder is removed when the run ends.
 */
export function builtPage(): Promise<string> {
  build ??= (async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'books-react-dist-'));
    process.once('exit', () => rmSync(outDir, { recursive: true, force: true }));
    // nginx workers run as an unprivileged user when the tests run as root.
    chmodSync(outDir, 0o755);
    const args = ['run', 'build', '--prefix', 'apps/books-react', '--', '--outDir', outDir, '--emptyOutDir'];
    await promisify(execFile)('npm', args, { cwd: REPO_ROOT, timeout: 120_000 });
    return outDir;
  })();
  return build;
}
