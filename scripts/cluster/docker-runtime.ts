import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import { docker } from '../toolkit/docker.js';
import { eventually } from '../toolkit/eventually.js';
import { UserError } from '../toolkit/user-error.js';

const execFileAsync = promisify(execFile);

/*
 * On a machine where no process may lower an OOM score (CAP_SYS_RESOURCE is not in the capability
 * bounding set, as in some sandboxed VMs), every pod sandbox fails to start: cri-dockerd asks
 * Docker for oom_score_adj -998. There the cluster makes the runtime adapter (go/runtime-adapter)
 * the Docker engine's default runtime for as long as it runs, through daemon.json and a reload
 * (SIGHUP), and puts the file back as it was when it stops. Elsewhere it changes nothing.
 */

const daemonConfig = '/etc/docker/daemon.json';
const runtimeName = 'books-gateway-oom-clamp';
const capSysResource = 24;

/** Whether this machine can lower an OOM score at all. */
export function canLowerOomScores(): boolean {
  const bounding = /^CapBnd:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1];
  return bounding === undefined || (BigInt(`0x${bounding}`) & (1n << BigInt(capSysResource))) !== 0n;
}

async function reloadEngine(expectedRuntime: string): Promise<void> {
  const { stdout } = await execFileAsync('pgrep', ['-x', 'dockerd']).catch(() => ({ stdout: '' }));
  const pid = Number(stdout.trim().split('\n')[0]);
  if (!pid)
    throw new UserError(`No dockerd process to reload: the cluster needs the Docker engine's default runtime set in ${daemonConfig}`);
  process.kill(pid, 'SIGHUP');
  await eventually(
    `the Docker engine's default runtime becomes ${expectedRuntime} (dockerd was started with flags that ${daemonConfig} cannot override?)`,
    async () => (await docker(['info', '--format', '{{.DefaultRuntime}}']).catch(() => '')).trim() === expectedRuntime,
    15_000,
    250,
  );
}

/**
 * Makes the adapter Docker's default runtime when the machine needs it, keeping daemon.json's
 * original text in `backup`; returns whether it did.
 */
export async function useRuntimeAdapter(adapter: string, backup: string): Promise<boolean> {
  if (canLowerOomScores()) return false;
  const original = fs.existsSync(daemonConfig) ? fs.readFileSync(daemonConfig, 'utf8') : '';
  fs.writeFileSync(backup, JSON.stringify({ existed: fs.existsSync(daemonConfig), text: original }), { mode: 0o600 });
  const config = (original.trim() ? JSON.parse(original) : {}) as { runtimes?: Record<string, unknown> } & Record<string, unknown>;
  const updated = { ...config, runtimes: { ...config.runtimes, [runtimeName]: { path: adapter } }, 'default-runtime': runtimeName };
  fs.mkdirSync('/etc/docker', { recursive: true });
  fs.writeFileSync(daemonConfig, `${JSON.stringify(updated, null, 2)}\n`);
  await reloadEngine(runtimeName);
  return true;
}

/**
 * Puts daemon.json back as `useRuntimeAdapter` found it. A reload keeps the default runtime
 * unless the file names one, so the engine is first reloaded with the original default named,
 * then the file gets its original text.
 */
export async function restoreRuntime(backup: string): Promise<void> {
  if (!fs.existsSync(backup)) return;
  const { existed, text } = JSON.parse(fs.readFileSync(backup, 'utf8')) as { existed: boolean; text: string };
  const original = (text.trim() ? JSON.parse(text) : {}) as Record<string, unknown>;
  const defaultRuntime = (original['default-runtime'] as string | undefined) ?? 'runc';
  fs.writeFileSync(daemonConfig, `${JSON.stringify({ ...original, 'default-runtime': defaultRuntime }, null, 2)}\n`);
  await reloadEngine(defaultRuntime);
  if (existed) fs.writeFileSync(daemonConfig, text);
  else fs.rmSync(daemonConfig, { force: true });
  fs.rmSync(backup, { force: true });
}
