import { tempPathDirectives } from '../../apps/gateway/src/index.js';

/**
 * nginx serving the built books-react page on a laptop. The page's own serving rules (caching,
 * gzip, SPA fallback) live in apps/books-react/nginx/site.conf, server-level directives only,
 * shared with its image; this wraps them in the main and http contexts Debian's nginx needs.
 */
export interface BooksReactSiteInput {
  host: string;
  port: number;
  /** Absolute path of the built page (apps/books-react/dist). */
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
