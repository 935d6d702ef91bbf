/**
 * A PATH holding only the given commands, as executable scripts, for the checks that a new
 * cluster's exec plugin exists (`aws`, `gke-gcloud-auth-plugin`): this machine may or may not
 * have them, and the tests must not depend on which.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface PathFixture {
  /** Sets PATH to a folder with exactly these commands. */
  use(commands: string[]): void;
  /** Puts the original PATH back and removes the folders. */
  restore(): void;
}

export function pathFixture(): PathFixture {
  const original = process.env.PATH;
  const folders: string[] = [];
  return {
    use(commands) {
      const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'commands-'));
      folders.push(folder);
      for (const command of commands) fs.writeFileSync(path.join(folder, command), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
      process.env.PATH = folder;
    },
    restore() {
      process.env.PATH = original;
      for (const folder of folders.splice(0)) fs.rmSync(folder, { recursive: true, force: true });
    },
  };
}
