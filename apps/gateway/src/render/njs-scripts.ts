import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The njs scripts (apps/gateway/njs), shipped by file name among the rendered files (the
 * ConfigMap) beside nginx.conf, so the gateway image needs no change when one does.
 */
export function njsScripts(files: readonly string[]): Record<string, string> {
  return Object.fromEntries(files.map((file) => [file, readFileSync(join(__dirname, '..', '..', 'njs', file), 'utf8')]));
}
