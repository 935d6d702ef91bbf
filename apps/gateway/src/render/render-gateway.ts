import { gatewayPorts, healthPath, mainConfigFile } from '../platform.js';
import type { GatewayRenderInput, RenderedGateway, UpstreamTimeouts } from '../types.js';
import { accessLogDirectives, routeVariable } from './access-log.js';
import { errorPagesConf, errorPagesFile } from './error-pages.js';
import { block } from './nginx-text.js';
import { requestIdMap, requestIdVariable } from './request-id.js';
import { tempPathDirectives } from './run-paths.js';
import { upstreamBlock } from './upstreams.js';
import { validateInput } from './validate.js';

/**
 * The routes of the gateway: `/books` and everything under `/books/` to the books API (but not
 * `/bookshelf`, which the tutorial's `location /books` would have sent there), the rest to the page.
 */
const routes: ReadonlyArray<{ route: string; upstream: string; locations: string[] }> = [
  { route: 'books', upstream: 'books', locations: ['= /books', '/books/'] },
  { route: 'books-react', upstream: 'books_react', locations: ['/'] },
];

const defaultTimeouts: Required<UpstreamTimeouts> = { connect: 2, read: 30, send: 30, retryBudget: 10 };

/** Total tries of one request across backends: the first plus up to two others. */
const maxTries = 3;

/**
 * Renders the gateway's complete nginx configuration. Pure: the same input gives the same files,
 * for the cluster's ConfigMap and for `npm run local` alike.
 */
export function renderGateway(input: GatewayRenderInput): RenderedGateway {
  const statusPort = input.statusPort ?? gatewayPorts.status;
  validateInput(input, statusPort);
  const { platform } = input;
  const runDir = platform.runDir;
  const usesDns = input.books.kind === 'dns' || input.booksReact.kind === 'dns';
  const listen = (port: number) => `listen ${input.listenAddress ? `${input.listenAddress}:` : ''}${port};`;

  const http = block('http', [
    'server_tokens off;',
    'default_type application/octet-stream;',
    'keepalive_timeout 60s;',
    // The route is set by the location that serves a request; one refused before (malformed,
    // too large) is logged with an empty route rather than a warning per request.
    'uninitialized_variable_warn off;',
    `client_max_body_size ${input.clientMaxBodySize ?? '1m'};`,
    ...tempPathDirectives(runDir),
    ...accessLogDirectives(platform.accessLog ?? '/dev/stdout'),
    ...requestIdMap(),
    ...(usesDns ? [`resolver ${platform.resolver} valid=10s ipv6=off;`, 'resolver_timeout 5s;'] : []),
    '',
    ...upstreamBlock('books', input.books),
    ...upstreamBlock('books_react', input.booksReact),
    '',
    ...publicServer(listen(input.listenPort), platform.configDir, { ...defaultTimeouts, ...input.timeouts }),
    '',
    ...statusServer(listen(statusPort), platform.configDir),
  ]);

  const nginxConf = [
    '# Rendered by apps/gateway (renderGateway): change the renderer, not this file.',
    'daemon off;',
    `worker_processes ${platform.workerProcesses};`,
    `pid ${runDir}/nginx.pid;`,
    'error_log stderr warn;',
    ...block('events', ['worker_connections 4096;']),
    ...http,
    '',
  ].join('\n');

  return { files: { [mainConfigFile]: nginxConf, [errorPagesFile]: errorPagesConf() } };
}

/** Lines both servers share: the request id returned to the client, and JSON error bodies. */
function commonServerLines(configDir: string): string[] {
  return [
    `add_header X-Request-Id ${requestIdVariable} always;`,
    `include ${configDir}/${errorPagesFile};`,
  ];
}

function publicServer(listen: string, configDir: string, timeouts: Required<UpstreamTimeouts>): string[] {
  return block('server', [
    listen,
    ...commonServerLines(configDir),
    // Proxy settings live at server level and no location sets its own proxy_set_header or
    // add_header: nginx would then drop every inherited one for that location.
    'proxy_http_version 1.1;',
    'proxy_set_header Connection "";',
    'proxy_set_header Host $host;',
    `proxy_set_header X-Request-Id ${requestIdVariable};`,
    // The gateway is the edge: the client's own X-Forwarded-For is not trusted, it is replaced.
    'proxy_set_header X-Forwarded-For $remote_addr;',
    'proxy_set_header X-Forwarded-Proto $scheme;',
    'proxy_set_header X-Forwarded-Host $host;',
    'proxy_hide_header X-Powered-By;',
    // The gateway's id is the one the client gets, once.
    'proxy_hide_header X-Request-Id;',
    `proxy_connect_timeout ${timeouts.connect}s;`,
    `proxy_read_timeout ${timeouts.read}s;`,
    `proxy_send_timeout ${timeouts.send}s;`,
    // Only idempotent requests are retried (nginx never resends a POST unless told to).
    'proxy_next_upstream error timeout http_502 http_503 http_504;',
    `proxy_next_upstream_tries ${maxTries};`,
    `proxy_next_upstream_timeout ${timeouts.retryBudget}s;`,
    ...routes.flatMap(({ route, upstream, locations }) =>
      locations.flatMap((location) =>
        block(`location ${location}`, [`set ${routeVariable} ${route};`, `proxy_pass http://${upstream};`]),
      ),
    ),
  ]);
}

function statusServer(listen: string, configDir: string): string[] {
  return block('server', [
    listen,
    'access_log off;',
    ...commonServerLines(configDir),
    ...block(`location = ${healthPath}`, ['default_type application/json;', `return 200 '{"status":"ok"}';`]),
    ...block('location /', ['return 404;']),
  ]);
}
