/**
 * Starts the peers of bench/peer-configs.ts as real processes on loopback: each configuration
 * is written to a private folder, checked by the proxy itself (`haproxy -c`, `caddy validate`,
 * `nginx -t`) and run in the foreground until stopped.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { mainConfigFile } from '../apps/gateway/src/index.js';
import { ManagedProcess } from '../scripts/toolkit/managed-process.js';
import { locateNginx } from '../scripts/toolkit/nginx.js';
import { waitUntilListening } from '../scripts/toolkit/ports.js';
import { type RunningServer, reportExitDuringBench, runDirOf, runningServer, startNginxServer } from './nginx-server.js';
import { type PeerInput, accessLogFile, bareNginxConf, caddyfile, haproxyConfig } from './peer-configs.js';
import { shellWord } from '../scripts/toolkit/shell-words.js';

const run = promisify(execFile);

export type PeerName = 'haproxy' | 'caddy' | 'bare nginx';

/** What `input` leaves to the server: its port and its run folder. */
export type PeerSettings = Omit<PeerInput, 'listenPort' | 'runDir'>;

/** Debian installs HAProxy in /usr/sbin, which a normal user's PATH often lacks. */
export const haproxyBinary = existsSync('/usr/sbin/haproxy') ? '/usr/sbin/haproxy' : 'haproxy';

/**
 * HAProxy in the foreground on `config`, through `wrapper` if given (the profile's valgrind).
 * HAProxy logs to syslog or a standard stream, never to a file: its stdout is made the file `log`.
 */
export function haproxyCommand(config: string, log: string, wrapper: readonly string[] = []): [command: string, args: string[]] {
  const line = [...wrapper, haproxyBinary, '-db', '-f', config].map(shellWord).join(' ');
  return ['/bin/sh', ['-c', `exec ${line} >>${shellWord(log)}`]];
}

interface ProcessPeer {
  file: string;
  render: (input: PeerInput) => string;
  check: (config: string) => [command: string, args: string[]];
  /** The command line; `log` is the access log file, for a proxy that logs only to stdout. */
  command: (config: string, log: string) => [command: string, args: string[]];
  env?: NodeJS.ProcessEnv;
}

const processPeers = (workers: number): Record<Exclude<PeerName, 'bare nginx'>, ProcessPeer> => ({
  haproxy: {
    file: 'haproxy.cfg',
    render: haproxyConfig,
    check: (config) => [haproxyBinary, ['-c', '-q', '-f', config]],
    command: (config, log) => haproxyCommand(config, log),
  },
  caddy: {
    file: 'Caddyfile',
    render: caddyfile,
    check: (config) => ['caddy', ['validate', '--adapter', 'caddyfile', '--config', config]],
    command: (config) => ['caddy', ['run', '--adapter', 'caddyfile', '--config', config]],
    // Go uses every core by default; stated, so the thread count matches the other proxies'.
    env: { ...process.env, GOMAXPROCS: String(workers) },
  },
});

/** One peer in `folder` on `port`, running until `stop()`; the bare proxy on `nginxBinary`. */
export async function startPeer(
  name: PeerName,
  folder: string,
  port: number,
  settings: PeerSettings,
  nginxBinary = locateNginx(),
): Promise<RunningServer> {
  const runDir = runDirOf(folder);
  const input: PeerInput = { ...settings, listenPort: port, runDir };
  if (name === 'bare nginx') {
    return startNginxServer({ name, nginxBinary, folder, runDir, port, files: { [mainConfigFile]: bareNginxConf(input) } });
  }
  const peer = processPeers(settings.workers)[name];
  await mkdir(runDir, { recursive: true });
  const config = join(folder, peer.file);
  await writeFile(config, peer.render(input));
  const [checkCommand, checkArgs] = peer.check(config);
  try {
    await run(checkCommand, checkArgs, { env: peer.env });
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`${name} refused its configuration ${config}: ${(stderr || stdout || String(error)).trim()}`, { cause: error });
  }
  const [command, args] = peer.command(config, accessLogFile(runDir));
  const managed = new ManagedProcess({ name, command, args, env: peer.env }, () => undefined, reportExitDuringBench);
  managed.start();
  try {
    await waitUntilListening(managed, '127.0.0.1', port);
  } catch (error) {
    await managed.stop();
    throw error;
  }
  return runningServer(`http://127.0.0.1:${port}`, managed);
}
