import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { within } from '../../books/support/books-process';
import { eventually } from '../../../scripts/toolkit/eventually.js';
import { freePort } from '../../../scripts/toolkit/ports';
import { connectionRefused } from '../../books/support/raw-connection';
import { REPO_ROOT } from './page-build';

export const SITE_CONF = join(REPO_ROOT, 'apps/books-react/nginx/site.conf');

export interface RunningNginx {
  port: number;
  /** What nginx wrote to its standard output (where the image's access log goes). */
  stdout(): string;
  stop(): Promise<void>;
}

/**
 * The http-level frame the local run also writes around site.conf: pid and temp paths in
 * `runDir`, the page's files as root, `serverExtras` appended inside the server block.
 */
export function wrapperConfig(port: number, root: string, runDir: string, serverExtras = ''): string {
  return `worker_processes 1;
pid ${runDir}/nginx.pid;
events { worker_connections 64; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log off;
  client_body_temp_path ${runDir}/client_body;
  proxy_temp_path ${runDir}/proxy;
  fastcgi_temp_path ${runDir}/fastcgi;
  uwsgi_temp_path ${runDir}/uwsgi;
  scgi_temp_path ${runDir}/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    include ${SITE_CONF};
    ${serverExtras}
  }
}
`;
}

/**
 * `nginx -p <runDir> -c <runDir>/nginx.conf`, its standard output a file, as in a container
 * (nginx cannot open /dev/stdout when that is the socket Node's 'pipe' would give it).
 */
function nginx(runDir: string, extraArgs: string[]): { child: ChildProcess; errors: () => string } {
  const stdout = openSync(join(runDir, 'stdout.log'), 'a');
  const child = spawn('nginx', ['-p', runDir, '-c', join(runDir, 'nginx.conf'), '-e', 'stderr', ...extraArgs], {
    stdio: ['ignore', stdout, 'pipe'],
  });
  closeSync(stdout);
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  child.once('error', (error) => (errors += `cannot run nginx (Debian package nginx): ${error.message}`));
  return { child, errors: () => errors };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('close', resolve));
}

/** Checks and then runs Debian's nginx on the configuration `config(port, runDir)` returns. */
export async function startNginx(config: (port: number, runDir: string) => string): Promise<RunningNginx> {
  const port = await freePort();
  const runDir = mkdtempSync(join(tmpdir(), 'books-react-nginx-'));
  chmodSync(runDir, 0o755);
  writeFileSync(join(runDir, 'nginx.conf'), config(port, runDir));

  const check = nginx(runDir, ['-t', '-q']);
  if ((await exitOf(check.child)) !== 0) {
    rmSync(runDir, { recursive: true, force: true });
    throw new Error(`nginx -t rejected the configuration: ${check.errors()}`);
  }

  const { child, errors } = nginx(runDir, ['-g', 'daemon off;']);
  const exited = exitOf(child);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await within(5000, 'nginx stopped', exited);
    rmSync(runDir, { recursive: true, force: true });
  };
  try {
    await eventually(
      `nginx listening on ${port}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`nginx exited: ${errors()}`);
        return !(await connectionRefused(port));
      },
      5000,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, stop, stdout: () => readFileSync(join(runDir, 'stdout.log'), 'utf8') };
}
