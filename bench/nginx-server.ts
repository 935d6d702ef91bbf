/**
 * An nginx started by the bench on a configuration it wrote itself (the tutorial's, or a
 * variant of the rendered gateway), the same way `npm run local` starts its gateway.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ManagedProcess } from '../scripts/toolkit/managed-process.js';
import { nginxProcess, testNginxConfig, writeNginxFiles } from '../scripts/toolkit/nginx.js';
import { waitUntilListening } from '../scripts/local/ports.js';

export interface RunningServer {
  readonly url: string;
  /** The server's main process (nginx: the master, whose workers are its children). */
  readonly pid: number;
  stop(): Promise<void>;
}

export interface NginxServerSpec {
  name: string;
  nginxBinary: string;
  /** Private folder: the files are written here, `runDir` is created. */
  folder: string;
  runDir: string;
  files: Record<string, string>;
  /** Port the configuration listens on (127.0.0.1). */
  port: number;
}

/** Writes the files into the spec's folder and has nginx check them (`nginx -t`); throws if refused. */
export async function writeCheckedConfig(spec: Omit<NginxServerSpec, 'name' | 'port'>): Promise<void> {
  // Secrets go to a subfolder (`secrets/...`); writeNginxFiles writes into existing folders.
  const folders = new Set(Object.keys(spec.files).map((name) => dirname(join(spec.folder, name))));
  await Promise.all([...folders].map((folder) => mkdir(folder, { recursive: true })));
  await writeNginxFiles(spec.folder, spec.runDir, spec.files);
  await testNginxConfig(spec.nginxBinary, spec.folder);
}

export async function startNginxServer(spec: NginxServerSpec): Promise<RunningServer> {
  await writeCheckedConfig(spec);
  const managed: ManagedProcess = nginxProcess(spec.name, spec.nginxBinary, spec.folder, () => undefined, (name, description) => {
    console.error(`${name} ${description} during the bench`);
  });
  managed.start();
  try {
    await waitUntilListening(managed, '127.0.0.1', spec.port);
  } catch (error) {
    await managed.stop();
    throw error;
  }
  const pid = managed.pid;
  if (pid === undefined) throw new Error(`${spec.name} has no process id`);
  return { url: `http://127.0.0.1:${spec.port}`, pid, stop: () => managed.stop() };
}

/** Where a server's run folder goes inside its private folder. */
export const runDirOf = (folder: string): string => join(folder, 'run');
