/**
 * `npm run rehearse -- --stand-in-base-images` as the tests run it: one child process for the
 * whole suite, on a free GATEWAY_PORT, read until it prints the gateway URL; `apply` runs the same
 * command with --apply (from this checkout or a changed copy of it); `stop` sends SIGTERM and waits
 * for everything to be removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { freePort } from '../../../scripts/local/ports.js';
import { rawRequest } from '../../gateway/support/http.js';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');

export interface ListedContainer {
  pod: string;
  container: string;
  address: string;
  ready: boolean;
}

export interface RunningRehearsal {
  url: string;
  port: number;
  pid: number;
  /** Seconds from the command's start to its gateway URL line. */
  readySeconds: number;
  /**
   * The reads sent the moment the URL was printed, each on a new connection (which the load
   * balancer hands to the gateway pods in turn): four of the page, then four of /books.
   */
  firstReads: { path: string; status: number }[];
  /** Everything it printed so far. */
  output(): string;
  /** The container lines of the last listing (start or apply). */
  listed(): ListedContainer[];
  /** `--apply` with these --config values (every one, as a stack's config is), from `root`. */
  apply(config: readonly string[], root?: string): Promise<string>;
  stop(): Promise<number | null>;
}

function rehearseArgs(config: readonly string[], extra: string[] = []): string[] {
  return ['--import', 'tsx', 'scripts/rehearse.ts', '--stand-in-base-images', ...extra, ...config.flatMap((value) => ['--config', value])];
}

/** `books-8ced277d1a-00b762  books  172.20.0.4  ready` lines of a listing. */
export function parseListing(text: string): ListedContainer[] {
  const lines = text.split('\n').map((line) => line.trim().split(/\s{2,}/));
  return lines
    .filter((cells) => cells.length === 4 && /^\d+\.\d+\.\d+\.\d+$/.test(cells[2]!))
    .map(([pod, container, address, ready]) => ({ pod: pod!, container: container!, address: address!, ready: ready === 'ready' }));
}

function run(child: ChildProcess, onOutput: (text: string) => void): Promise<number | null> {
  child.stdout?.setEncoding('utf8').on('data', onOutput);
  child.stderr?.setEncoding('utf8').on('data', onOutput);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** One `npm run rehearse` run to its end, on the given GATEWAY_PORT. */
export async function rehearseOnce(
  args: readonly string[],
  gatewayPort: number,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; pid: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/rehearse.ts', ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env, GATEWAY_PORT: String(gatewayPort) },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, pid: child.pid ?? 0, stdout, stderr };
}

export async function startRehearsal(config: readonly string[], timeoutMs = 900_000): Promise<RunningRehearsal> {
  const port = await freePort();
  const started = Date.now();
  const child = spawn(process.execPath, rehearseArgs(config), { cwd: repoRoot, env: { ...process.env, GATEWAY_PORT: String(port) } });
  let output = '';
  let lastListing: ListedContainer[] = [];
  const exited = run(child, (text) => (output += text));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no gateway URL within ${timeoutMs / 1000} s:\n${output}`)), timeoutMs);
    const poll = setInterval(() => {
      const match = /The gateway: (http:\/\/\S+)/.exec(output);
      if (match) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(match[1]!);
      }
    }, 100);
    void exited.then((code) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`npm run rehearse exited (${code}) before it was ready:\n${output}`));
    });
  });
  lastListing = parseListing(output);
  const readySeconds = (Date.now() - started) / 1000;
  const firstReads: RunningRehearsal['firstReads'] = [];
  for (const path of ['/', '/', '/', '/', '/books', '/books', '/books', '/books']) {
    const reply = await rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: rehearsal\r\nConnection: close\r\n\r\n`);
    firstReads.push({ path, status: reply.status });
  }
  return {
    url,
    port,
    pid: child.pid ?? 0,
    readySeconds,
    firstReads,
    output: () => output,
    listed: () => lastListing,
    async apply(values, root = repoRoot) {
      const applying = spawn(process.execPath, rehearseArgs(values, ['--apply']), { cwd: root, env: { ...process.env, GATEWAY_PORT: String(port) } });
      let text = '';
      const code = await run(applying, (chunk) => (text += chunk));
      if (code !== 0) throw new Error(`npm run rehearse -- --apply exited ${code}:\n${text}`);
      lastListing = parseListing(text);
      return text;
    },
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
