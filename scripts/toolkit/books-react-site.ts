import { existsSync } from 'node:fs';
import { cp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tempPathDirectives } from '../../apps/gateway/src/index.js';
import { eventually } from './eventually.js';
import { UserError } from './user-error.js';

/**
 * nginx serving the built books-react page on a laptop. The page's own serving rules (caching,
 * gzip, SPA fallback) live in apps/books-react/nginx/site.conf, server-level directives only,
 * shared with its image; this wraps them in the main and http contexts Debian's nginx needs.
 */
export interface BooksReactSiteInput {
  host: string;
  port: number;
  /** Absolute path of the built page (a copy of apps/books-react/dist: copyBuiltPage). */
  root: string;
  /** Absolute path of apps/books-react/nginx/site.conf. */
  siteConf: string;
  /** Private writable folder for the pid file and temp paths. */
  runDir: string;
}

export function renderBooksReactSite(input: BooksReactSiteInput): string {
  const { runDir } = input;
  return [
    '# Rendered by scripts/local (npm run local): serves apps/books-react/dist with its site.conf.',
    'daemon off;',
    'worker_processes 1;',
    `pid ${runDir}/nginx.pid;`,
    'error_log stderr warn;',
    'events {',
    '  worker_connections 1024;',
    '}',
    'http {',
    '  include /etc/nginx/mime.types;',
    '  default_type application/octet-stream;',
    '  access_log off;',
    ...tempPathDirectives(runDir).map((line) => `  ${line}`),
    '  server {',
    `    listen ${input.host}:${input.port};`,
    `    root ${input.root};`,
    `    include ${input.siteConf};`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Files index.html loads from its own origin (`/assets/index-1a2b.js`), as paths relative to the page's root. */
function localReferences(indexHtml: string): string[] {
  return [...indexHtml.matchAll(/\b(?:src|href)="\/([^"?#]+)"/g)].flatMap(([, path]) => (path ? [path] : []));
}

/**
 * Copies the built page into `target`, the run's own folder, so that a rebuild of `source`
 * (a second `npm run local`, `npm test`, `npm run bench`: Vite empties the folder first) never
 * changes what a running system serves. A copy taken in the middle of a rebuild lacks
 * index.html or a file it loads: it is taken again until it is whole.
 */
export async function copyBuiltPage(source: string, target: string, timeoutMs = 30000): Promise<void> {
  await eventually(
    `a whole copy of ${source}`,
    async () => {
      await rm(target, { recursive: true, force: true });
      await cp(source, target, { recursive: true }).catch(() => undefined);
      const indexHtml = await readFile(join(target, 'index.html'), 'utf8').catch(() => undefined);
      return indexHtml !== undefined && localReferences(indexHtml).every((path) => existsSync(join(target, path)));
    },
    timeoutMs,
    500,
    () =>
      new UserError(
        `${source} stayed incomplete for ${timeoutMs / 1000} s (a build still running?): run npm run build --prefix apps/books-react`,
      ),
  );
}
