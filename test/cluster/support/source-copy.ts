/**
 * A copy of this checkout at another path, optionally with one file changed (a real source change:
 * a new content tag, so a new image): the files git knows (tracked, and new ones not ignored), with
 * the installed node_modules linked rather than copied.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const repoRoot = path.resolve(__dirname, '..', '..', '..');

export interface SourceCopy {
  root: string;
  remove(): void;
}

export function sourceCopy(change?: { file: string; appended: string }): SourceCopy {
  const root = mkdtempSync(path.join(os.tmpdir(), 'books-gateway-checkout-'));
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: repoRoot, encoding: 'utf8' })
    .split('\0')
    .filter((name) => name && existsSync(path.join(repoRoot, name)));
  for (const name of files) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    copyFileSync(path.join(repoRoot, name), path.join(root, name));
  }
  for (const modules of ['node_modules', 'apps/books/node_modules', 'apps/books-react/node_modules']) {
    if (existsSync(path.join(repoRoot, modules))) symlinkSync(path.join(repoRoot, modules), path.join(root, modules));
  }
  if (change) appendFileSync(path.join(root, change.file), change.appended);
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}
