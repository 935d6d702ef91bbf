import { readFileSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { identify, isRunning, type ProcessIdentity } from '../toolkit/process-identity.js';
import type { ServiceUser } from './service-user.js';

/** Every run's folder is `<tmpdir>/books-gateway-local-XXXXXX`. */
const folderPrefix = 'books-gateway-local-';
/** The file in a run's folder naming the process that owns it. */
const ownerFile = 'owner.json';

/**
 * Removes the folders of earlier runs whose owner no longer runs (it was SIGKILLed, or the
 * machine lost power), never those of runs still going: other checkouts, other users, tests.
 */
async function removeStaleRunFolders(): Promise<void> {
  const names = (await readdir(tmpdir())).filter((name) => name.startsWith(folderPrefix));
  await Promise.all(
    names.map(async (name) => {
      const folder = join(tmpdir(), name);
      let owner: ProcessIdentity;
      try {
        owner = JSON.parse(readFileSync(join(folder, ownerFile), 'utf8')) as ProcessIdentity;
      } catch {
        // Not ours to judge: no owner file yet (a run being created), or not readable (another user's).
        return;
      }
      if (!isRunning(owner)) await rm(folder, { recursive: true, force: true }).catch(() => undefined);
    }),
  );
}

/** The private folder one run works in: its rendered files, secrets, logs and the page it serves. */
export interface RunFolder {
  readonly path: string;
  /** The account of the gateway's nginx workers when it differs from ours (started as root), else undefined. */
  readonly workers: ServiceUser | undefined;
  /**
   * Writes files that only nginx's workers may read (the gateway's secrets) into `folder`,
   * each atomically, so a worker reading during a reload sees the old file or the new one.
   */
  writeSecretFiles(folder: string, files: Record<string, string>): Promise<void>;
  remove(): Promise<void>;
}

/**
 * Creates this run's folder, after removing those of dead runs. Nobody else may list it; when
 * started as root it stays traversable, because nginx's workers (another user) read the page
 * and their secrets below it.
 */
export async function createRunFolder(workers: ServiceUser | undefined): Promise<RunFolder> {
  const workerUid = workers?.uid;
  await removeStaleRunFolders();
  const path = await mkdtemp(join(tmpdir(), folderPrefix));
  await chmod(path, workerUid === undefined ? 0o700 : 0o711);
  const owner: ProcessIdentity = identify();
  await writeFile(join(path, ownerFile), `${JSON.stringify(owner)}\n`);
  return {
    path,
    workers,
    async writeSecretFiles(folder, files) {
      await mkdir(folder, { recursive: true, mode: 0o700 });
      if (workerUid !== undefined) await chown(folder, workerUid, -1);
      await chmod(folder, workerUid === undefined ? 0o700 : 0o500);
      for (const [name, contents] of Object.entries(files)) {
        const temporary = join(folder, `.${name}.new`);
        await writeFile(temporary, contents, { mode: 0o600 });
        if (workerUid !== undefined) await chown(temporary, workerUid, -1);
        await chmod(temporary, 0o400);
        await rename(temporary, join(folder, name));
      }
    },
    remove: () => rm(path, { recursive: true, force: true }),
  };
}
