/**
 * An nginx started by the bench on a configuration it wrote itself (the tutorial's, a memory
 * backend's, a peer's), the same way `npm run local` starts its page; the gateway's variants
 * start as the toolkit's gateway nginx (configurations.ts).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ManagedProcess, UnexpectedExitListener } from '../scripts/toolkit/managed-process.js';
import { nginxProcess, testNginxConfig, writeNginxFiles } from '../scripts/toolkit/nginx.js';
import { waitUntilListening } from '../scripts/toolkit/ports.js';

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

/** A server of the bench that ends on its own: said on stderr, the figures around it are suspect. */
export const reportExitDuringBench: UnexpectedExitListener = (name, description) => {
  console.error(`${name} ${description} during the bench`);
};

/** What the bench keeps of a started server: where it answers, its process id and how it stops. */
export function runningServer(url: string, managed: ManagedProcess, stop: () => Promise<void> = () => managed.stop()): RunningServer {
  const pid = managed.pid;
  if (pid === undefined) throw new Error(`${managed.name} has no process id`);
  return { url, pid, stop };
}

/** Writes the files into the spec's folder and has nginx check them (`nginx -t`); throws if refused. */
export async function writeCheckedConfig(spec: Omit<NginxServerSpec, 'name' | 'port'>): Promise<void> {
  await mkdir(spec.folder, { recursive: true });
  await writeNginxFiles(spec.folder, spec.runDir, spec.files);
  await testNginxConfig(spec.nginxBinary, spec.folder);
}

export async function startNginxServer(spec: NginxServerSpec): Promise<RunningServer> {
  await writeCheckedConfig(spec);
  const managed = nginxProcess(spec.name, spec.nginxBinary, spec.folder, () => undefined, reportExitDuringBench);
  managed.start();
  try {
    await waitUntilListening(managed, '127.0.0.1', spec.port);
  } catch (error) {
    await managed.stop();
    throw error;
  }
  return runningServer(`http://127.0.0.1:${spec.port}`, managed);
}

/** Where a server's run folder goes inside its private folder. */
export const runDirOf = (folder: string): string => join(folder, 'run');
