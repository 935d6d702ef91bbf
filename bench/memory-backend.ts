/**
 * The books list answered from memory, for the proxies' table. Since the books API reads from
 * PostgreSQL, it answers GET /books at a fraction of the rate the proxies can carry, so with
 * the API behind them every proxy would measure the same database and their ratios would be
 * 1.00× whatever each costs. Two nginx processes of one worker each (two, as there are two books
 * processes, so every proxy balances over two servers as it does in front of the API) answer
 * GET /books with the body the real API gave, from a file nginx keeps open and the kernel keeps
 * in its page cache: no query, no JSON serialisation, no request log. Anything else is a 404.
 */
import { join } from 'node:path';
import { mainConfigFile, tempPathDirectives } from '../apps/gateway/src/index.js';
import { freePort } from '../scripts/toolkit/ports.js';
import { type RunningServer, runDirOf, startNginxServer } from './nginx-server.js';

/** The API's own answer to GET /books, fetched once, to be served as it is. */
export async function booksListBody(booksUrl: string): Promise<string> {
  const response = await fetch(`${booksUrl}/books`);
  const body = await response.text();
  if (response.status !== 200)
    throw new Error(`GET ${booksUrl}/books answered ${response.status}, not the books list: ${body.slice(0, 200)}`);
  return body;
}

const bodyFile = 'books.json';

function memoryBackendConf(port: number, folder: string, bodyPath: string): string {
  const runDir = runDirOf(folder);
  return [
    'daemon off;',
    'worker_processes 1;',
    `pid ${runDir}/nginx.pid;`,
    'error_log stderr warn;',
    'events { worker_connections 4096; }',
    'http {',
    '  access_log off;',
    '  server_tokens off;',
    // The proxies keep their connections to it for the whole run, as they do with the API (whose
    // keepalive timeout is 65 s): a connection closed after nginx's default 1000 requests would
    // add reconnections no proxy meets in front of the API.
    '  keepalive_timeout 65s;',
    '  keepalive_requests 10000000;',
    '  open_file_cache max=8;',
    ...tempPathDirectives(runDir).map((line) => `  ${line}`),
    '  server {',
    `    listen 127.0.0.1:${port} reuseport;`,
    '    location = /books {',
    '      default_type "application/json; charset=utf-8";',
    `      alias ${bodyPath};`,
    '    }',
    '    location / { return 404; }',
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Starts `count` memory backends in subfolders of `folder`, each on a free port of 127.0.0.1. */
export async function startMemoryBackends(nginxBinary: string, folder: string, body: string, count: number): Promise<RunningServer[]> {
  const servers: RunningServer[] = [];
  try {
    for (let index = 0; index < count; index += 1) {
      const serverFolder = join(folder, `memory-backend-${index + 1}`);
      const port = await freePort();
      const server = await startNginxServer({
        name: `memory backend ${index + 1}`,
        nginxBinary,
        folder: serverFolder,
        runDir: runDirOf(serverFolder),
        port,
        files: { [mainConfigFile]: memoryBackendConf(port, serverFolder, join(serverFolder, bodyFile)), [bodyFile]: body },
      });
      servers.push(server);
    }
    return servers;
  } catch (error) {
    await Promise.all(servers.map((server) => server.stop()));
    throw error;
  }
}
