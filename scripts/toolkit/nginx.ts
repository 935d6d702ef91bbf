import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { debianModulesDir, nginxCommandLine, type RenderedGateway } from '../../apps/gateway/src/index.js';
import { ManagedProcess, type OutputListener, type ProcessGuard, type UnexpectedExitListener } from './managed-process.js';
import { UserError } from './user-error.js';

const installHint =
  'install it with: sudo apt-get update && sudo apt-get install -y nginx libnginx-mod-http-js (or run scripts/system-deps.sh as root)';

/**
 * The nginx binary: on PATH, or in Debian's /usr/sbin, which a normal user's PATH often lacks.
 * `nginx` given as a path is checked as is.
 */
export function locateNginx(binary = 'nginx'): string {
  const candidates = binary.includes('/')
    ? [binary]
    : [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/sbin', '/usr/local/sbin'].map((dir) => join(dir, binary));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next folder
    }
  }
  throw new UserError(`nginx is not installed (no '${binary}' on PATH or in /usr/sbin); ${installHint}`);
}

/** Writes rendered files into `folder` (and the run folder nginx needs next to them). */
export async function writeNginxFiles(folder: string, runDir: string, files: RenderedGateway['files']): Promise<void> {
  await mkdir(runDir, { recursive: true, mode: 0o755 });
  await Promise.all(Object.entries(files).map(([name, contents]) => writeFile(join(folder, name), contents)));
}

/** An nginx build this machine starts as a process. */
export interface NginxBuild {
  binary: string;
  modulesDir: string;
  /** Whether the gateway is rendered with the full set of metrics on it, as for the image (njs 0.8.8 or newer). */
  fullMetrics: boolean;
  /** For the reader of a result: nginx's version and njs's. */
  description: string;
}

const execFileAsync = promisify(execFile);

/** nginx's version and that of the njs package in the dpkg database `admindir`, for a report. */
async function describeBuild(binary: string, admindir: string, whose: string): Promise<string> {
  const { stderr } = await execFileAsync(binary, ['-v']);
  // An njs from elsewhere than Debian's package (nginx.org's nginx-module-njs) is still an njs.
  const njs = await execFileAsync('dpkg-query', ['--admindir', admindir, '-W', '-f', '${Version}', 'libnginx-mod-http-js']).then(
    ({ stdout }) => stdout.trim(),
    () => 'of unknown version (no libnginx-mod-http-js package)',
  );
  return `${stderr.trim().replace(/^nginx version: /, '')} with njs ${njs} (${whose})`;
}

/** A build of nginx, its njs package's version read from the dpkg database `admindir`. */
export async function nginxBuild(spec: Omit<NginxBuild, 'description'> & { admindir: string; whose: string }): Promise<NginxBuild> {
  const { binary, modulesDir, fullMetrics } = spec;
  return { binary, modulesDir, fullMetrics, description: await describeBuild(binary, spec.admindir, spec.whose) };
}

/** Debian's nginx and njs, rendered for as `npm run local` renders (debianPlatform). */
export function debianNginx(): Promise<NginxBuild> {
  return nginxBuild({
    binary: locateNginx(),
    modulesDir: debianModulesDir,
    fullMetrics: false,
    admindir: '/var/lib/dpkg',
    whose: "Debian's",
  });
}

/**
 * `nginx -t` on a configuration: resolves with nginx's report (warnings included), throws
 * nginx's own explanation when it refuses it.
 */
export async function testNginxConfig(nginxBinary: string, configDir: string): Promise<string> {
  const [, ...args] = nginxCommandLine({ configDir });
  // stdout to /dev/null rather than a socket: nginx opens `/dev/stdout` log paths even for -t.
  const child = spawn(nginxBinary, ['-t', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) {
    throw new UserError(`nginx refused the configuration in ${configDir}: ${stderr.trim().split('\n').join(' | ')}`);
  }
  return stderr;
}

/** An nginx master running in the foreground on `<configDir>/nginx.conf`. */
export function nginxProcess(
  name: string,
  nginxBinary: string,
  configDir: string,
  onOutput: OutputListener,
  onUnexpectedExit: UnexpectedExitListener,
  guard?: ProcessGuard,
): ManagedProcess {
  const [, ...args] = nginxCommandLine({ configDir });
  return new ManagedProcess({ name, command: nginxBinary, args }, onOutput, onUnexpectedExit, guard);
}
