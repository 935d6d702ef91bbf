/**
 * `npm run lint [-- --fix]`: Prettier's formatting and typescript-eslint's type-checked rules over
 * every TypeScript file of the tree (eslint.config.mjs, .prettierrc.json). `npm test` runs it after
 * the type check, so a violation fails CI; `--fix` rewrites what the two tools can fix themselves.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseCommandLine } from './toolkit/command-line.js';

const usage = [
  'Usage: npm run lint [-- --fix]',
  '',
  'Checks every TypeScript file: its formatting with Prettier, then its code with typescript-eslint',
  '(type-checked, so it takes a couple of minutes). Exits 1 on a violation, listing each.',
  '',
  'Options:',
  '  --fix       reformat the files, and apply the fixes ESLint knows, instead of only reporting',
  '  -h, --help  this text',
].join('\n');

const options = parseCommandLine(process.argv.slice(2), { fix: { type: 'boolean' } }, usage);
const fix = options['fix'] === true;
const repoRoot = join(__dirname, '..');
const bin = (name: string) => join(repoRoot, 'node_modules', '.bin', name);

/** Runs one tool in the repository's root, its report straight to the terminal; true when it passed. */
function passes(command: string, args: string[]): boolean {
  const result = spawnSync(bin(command), args, { cwd: repoRoot, stdio: 'inherit' });
  if (result.error) throw result.error;
  return result.status === 0;
}

const formatted = passes('prettier', [fix ? '--write' : '--check', '--log-level', fix ? 'warn' : 'log', '**/*.{ts,tsx}']);
const linted = passes('eslint', [...(fix ? ['--fix'] : []), '--max-warnings', '0', '.']);
process.exit(formatted && linted ? 0 : 1);
