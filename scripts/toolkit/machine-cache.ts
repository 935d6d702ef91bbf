import * as os from 'node:os';
import * as path from 'node:path';

/**
 * A folder of this machine's cache for the project (`$XDG_CACHE_HOME/books-gateway/...`, else
 * `~/.cache/books-gateway/...`): what is built once per machine and kept outside the repository.
 */
export function machineCacheDir(...parts: string[]): string {
  const base = process.env['XDG_CACHE_HOME'] || path.join(os.homedir(), '.cache');
  return path.join(base, 'books-gateway', ...parts);
}
