import { createHash } from 'node:crypto';
import { gatewayPorts, healthPath, mainConfigFile, metricsPath, stubStatusPath } from '../platform.js';
import type { BodySize, GatewayAuth, GatewayRateLimit, GatewayRenderInput, RenderedGateway, UpstreamTimeouts } from '../types.js';
import { accessLogDirectives, routeVariable } from './access-log.js';
import { answerServerLines, answersHttpLines, requestCheckLines, requestScriptFile, statusBodyCheckLines } from './answers.js';
import { authHttpLines, authLocations, authScriptFile, authVariables, protectedUri, requireAuthForWrites } from './auth.js';
import { errorPagesConf, errorPagesFile } from './error-pages.js';
import { type MetricsSet, metricsHttpLines, metricsLogLines, metricsScriptFile, metricsSet, metricsStatusLines } from './metrics.js';
import { block } from './nginx-text.js';
import { njsScripts } from './njs-scripts.js';
import { defaultRateLimit, rateLimitServerLines, rateLimitZones, retryAfterSeconds } from './rate-limit.js';
import { requestIdMap, requestIdVariable } from './request-id.js';
import { allowedMethods, methodCheckLines, methodMaps, pageMethods, statusMethodCheckLines, statusRoute } from './methods.js';
import { corsMaps, hiddenUpstreamHeaders, responseHeadersConf, responseHeadersFile } from './response-headers.js';
import { secretFiles } from './secrets.js';
import { tempPathDirectives } from './run-paths.js';
import { backendProxyLines, upstreamBlock, upstreamTimedOutMap } from './upstreams.js';
import { validateInput } from './validate.js';
import { writeRelayHeaderLine, writeRelayHttpLines, writeRelayProxyLines, writeRelayServer } from './write-relay.js';

interface Route {
  route: string;
  upstream: string;
  locations: string[];
  methods: readonly string[];
  writesNeedAuth: boolean;
  /**
   * Replace the backend's error responses with the gateway's JSON ones. Only for the page: its
   * static nginx answers errors (a missing asset, a range past the end) with HTML pages, and
   * turning them into JSON here keeps one error format, with the gateway's request id, in one
   * place, leaving the page image a plain static server. Never for the books API, whose JSON
   * errors carry their own message and must reach the client untouched.
   */
  interceptErrors: boolean;
}

/**
 * The routes of the gateway: `/books` and everything under `/books/` to the books API (but not
 * `/bookshelf`, which the tutorial's `location /books` would have sent there), the rest to the page.
 * Writes on the API need credentials; reading the API and the page is public; the page is only read.
 */
const routes: readonly Route[] = [
  {
    route: 'books',
    upstream: 'books',
    locations: ['= /books', '/books/'],
    methods: allowedMethods,
    writesNeedAuth: true,
    interceptErrors: false,
  },
  { route: 'books-react', upstream: 'books_react', locations: ['/'], methods: pageMethods, writesNeedAuth: false, interceptErrors: true },
];

/** Seconds a client may take per step (headers, body reads, our writes) by default. */
const defaultClientTimeout = 10;

/** Largest request body by default. */
export const defaultBodySize: Readonly<BodySize> = { nginx: '1m', bytes: 1024 ** 2 };

/** Default policy: no credentials configured, so every write on /books is refused with 401. */
const defaultAuth: GatewayAuth = {};

/** The settings of the public server beyond its upstreams. */
interface PublicServerSettings {
  timeouts: Required<UpstreamTimeouts>;
  rateLimit: GatewayRateLimit;
  auth: GatewayAuth;
  tls: boolean;
  forwardCredentials: boolean;
  /** Largest body of a write. */
  clientMaxBodySize: BodySize;
}

/**
 * Both services answer in milliseconds, so 5 s without a byte means a hung process: short
 * enough that connecting and waiting on one (7 s) fit in the retry budget, and the request is
 * retried on another backend instead of failing after the budget is spent.
 */
export const defaultTimeouts: Readonly<Required<UpstreamTimeouts>> = { connect: 2, read: 5, send: 30, retryBudget: 10 };

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
  const address = (port: number) => `${input.listenAddress ? `${input.listenAddress}:` : ''}${port}`;
  const rateLimit = input.rateLimit ?? defaultRateLimit;
  const tls = input.tls ?? false;
  const clientTimeout = input.clientTimeout ?? defaultClientTimeout;
  const metrics = metricsSet(platform);
  const clientMaxBodySize = input.clientMaxBodySize ?? defaultBodySize;
  const timeouts = { ...defaultTimeouts, ...input.timeouts };

  const http = block('http', [
    'server_tokens off;',
    'default_type application/octet-stream;',
    // What a client can hold open without sending a request is bounded in time, not per address
    // (limit_conn counts requests): an idle keep-alive connection, one that sends nothing, or
    // headers dripped slowly (slowloris) all end after clientTimeout; README "Rate limits".
    `keepalive_timeout ${clientTimeout}s;`,
    `client_header_timeout ${clientTimeout}s;`,
    `lingering_time ${clientTimeout}s;`,
    `client_body_timeout ${clientTimeout}s;`,
    `send_timeout ${clientTimeout}s;`,
    'reset_timedout_connection on;',
    // Each header line and the request line fit in 8 kB (else 431, 414); the total of the
    // headers is limited to 8 kB by the njs check of the route locations (answers.ts).
    'client_header_buffer_size 1k;',
    'large_client_header_buffers 4 8k;',
    // The route is set by the location that serves a request; one refused before (malformed,
    // too large) is logged with an empty route rather than a warning per request.
    'uninitialized_variable_warn off;',
    // No size check where nginx makes it, before any location's checks ran, with a line in the
    // error log that copies the client's headers: the header check refuses an announced body
    // over the limit, and the one location that reads bodies (authenticated writes) sets it.
    'client_max_body_size 0;',
    // The maps, njs and CORS variables outgrow nginx's default variables hash, which then warns
    // at every start ("could not build optimal variables_hash") and falls back to a slower one.
    'variables_hash_max_size 2048;',
    // The maps' bucket defaults to the CPU's cache line as nginx reads it, which is 32 bytes on some
    // ARM systems (the arm64 stand-in under emulation), where a key of 19 characters no longer
    // fits and nginx refuses to start ("could not build map_hash"): set, it no longer depends on the CPU.
    'map_hash_bucket_size 64;',
    ...tempPathDirectives(runDir),
    ...accessLogDirectives(platform.accessLog ?? '/dev/stdout', platform.accessLogFlushSeconds, metricsLogLines(metrics, runDir)),
    ...requestIdMap(),
    ...methodMaps([...routes, statusRoute]),
    ...upstreamHostMap(),
    ...forwardedForMap(),
    ...corsMaps(input.corsOrigins ?? []),
    ...rateLimitZones(rateLimit),
    ...authHttpLines(),
    ...answersHttpLines(platform.configDir, clientMaxBodySize.bytes),
    ...metricsHttpLines(metrics),
    ...upstreamTimedOutMap(),
    ...(usesDns ? [`resolver ${platform.resolver} valid=10s ipv6=off;`, 'resolver_timeout 5s;'] : []),
    '',
    ...upstreamBlock('books', input.books),
    ...upstreamBlock('books_react', input.booksReact),
    ...writeRelayHttpLines(platform, protectedUri),
    '',
    ...publicServer(address(input.listenPort), input.platform, {
      timeouts,
      rateLimit,
      auth: input.auth ?? defaultAuth,
      tls,
      forwardCredentials: input.forwardCredentials ?? false,
      clientMaxBodySize,
    }),
    '',
    ...statusServer(`listen ${address(statusPort)};`, platform, metrics),
    '',
    ...writeRelayServer(platform, timeouts, 'books'),
  ]);

  const nginxConf = [
    '# Rendered by apps/gateway (renderGateway): change the renderer, not this file.',
    'daemon off;',
    ...(platform.workerUser ? [`user ${platform.workerUser};`] : []),
    `worker_processes ${platform.workerProcesses};`,
    `pid ${runDir}/nginx.pid;`,
    'error_log stderr warn;',
    // The maps' regexes compiled to machine code: about 2.5k of the 90k instructions of a GET
    // /books (callgrind, nginx 1.22 and 1.30). nginx turns it off, with a warning, where the
    // PCRE2 library has no JIT.
    'pcre_jit on;',
    // njs: JWT and API-key checks (Debian's libnginx-mod-http-js, the official image's module).
    `load_module ${platform.modulesDir}/ngx_http_js_module.so;`,
    ...block('events', ['worker_connections 4096;']),
    ...http,
    '',
  ].join('\n');

  return withVersion({
    [mainConfigFile]: nginxConf,
    [errorPagesFile]: errorPagesConf({ configDir: platform.configDir, retryAfterSeconds: retryAfterSeconds(rateLimit) }),
    [responseHeadersFile]: responseHeadersConf({ tls, cors: (input.corsOrigins ?? []).length > 0 }),
    ...njsScripts([authScriptFile, requestScriptFile, metricsScriptFile]),
  });
}

const versionPlaceholder = '@CONFIG_VERSION@';

/**
 * Stamps the files with a digest of their contents, which the health endpoint reports: after a
 * reload, nginx's new workers start while the old ones still answer, and this is how a caller
 * (the local run, an operator with curl) tells which configuration answered.
 */
function withVersion(files: Record<string, string>): RenderedGateway {
  const hash = createHash('sha256');
  for (const name of Object.keys(files).sort()) hash.update(`${name}\0${files[name]}\0`);
  const version = hash.digest('hex').slice(0, 16);
  const stamped = Object.fromEntries(Object.entries(files).map(([name, text]) => [name, text.replaceAll(versionPlaceholder, version)]));
  return { files: stamped, version };
}

/** Lines both servers share: the response headers (request id, security) and JSON error bodies. */
function commonServerLines(configDir: string): string[] {
  return [`include ${configDir}/${responseHeadersFile};`, `include ${configDir}/${errorPagesFile};`, ...answerServerLines(configDir)];
}

/** HTTPS with the certificate of the secrets folder; only TLS 1.2 and 1.3. */
function tlsLines(secretsDir: string): string[] {
  return [
    `ssl_certificate ${secretsDir}/${secretFiles.tlsCertificate};`,
    `ssl_certificate_key ${secretsDir}/${secretFiles.tlsKey};`,
    'ssl_protocols TLSv1.2 TLSv1.3;',
    'ssl_session_cache shared:gateway_tls:10m;',
  ];
}

function publicServer(address: string, platform: GatewayRenderInput['platform'], settings: PublicServerSettings): string[] {
  const { configDir } = platform;
  const { timeouts } = settings;
  const routeLines = (route: string) => [`set ${routeVariable} ${route};`];
  const booksRoute = routes.find(({ writesNeedAuth }) => writesNeedAuth);
  return block('server', [
    // reuseport: a listening socket per worker, the kernel spreads new connections over them.
    // With one shared socket, nginx's wake-up order put all 10 of a client's keepalive
    // connections on one worker in 3 of 5 bench runs, leaving the other core idle.
    `listen ${address}${settings.tls ? ' ssl' : ''} reuseport;`,
    ...(settings.tls ? tlsLines(platform.secretsDir) : []),
    ...commonServerLines(configDir),
    ...rateLimitServerLines(settings.rateLimit),
    // Proxy settings live at server level and no location sets its own proxy_set_header or
    // add_header: nginx would then drop every inherited one for that location.
    'proxy_http_version 1.1;',
    'proxy_set_header Connection "";',
    `proxy_set_header Host ${upstreamHostVariable};`,
    `proxy_set_header X-Request-Id ${requestIdVariable};`,
    // The gateway is the edge: whatever a client sends under the names that say who it is and
    // how it came is replaced by what the gateway saw.
    'proxy_set_header X-Forwarded-For $remote_addr;',
    'proxy_set_header X-Forwarded-Proto $scheme;',
    'proxy_set_header X-Forwarded-Host $host;',
    'proxy_set_header X-Real-IP $remote_addr;',
    `proxy_set_header Forwarded "for=${forwardedForVariable};proto=$scheme;host=\\"$host\\"";`,
    // Set only by the gateway's auth check: whatever a client sends under these names is dropped.
    `proxy_set_header X-Auth-Subject ${authVariables.subject};`,
    `proxy_set_header X-Auth-Method ${authVariables.method};`,
    // Only on the hop of an authenticated write to the gateway's relay (write-relay.ts).
    writeRelayHeaderLine(),
    // The credential stays at the gateway that verified it (as Envoy's jwt_authn does), on every
    // route, verified or not; `forwardCredentials` passes it on for an API that needs it.
    ...(settings.forwardCredentials ? [] : ['proxy_set_header Authorization "";', 'proxy_set_header X-API-Key "";']),
    ...hiddenUpstreamHeaders.map((header) => `proxy_hide_header ${header};`),
    // The gateway's id is the one the client gets, once.
    'proxy_hide_header X-Request-Id;',
    // Reads are retried on another backend; writes take the relay (write-relay.ts), where none is
    // sent twice.
    ...backendProxyLines(timeouts),
    ...routes.flatMap(({ route, upstream, locations, writesNeedAuth, interceptErrors }) =>
      locations.flatMap((location) =>
        block(`location ${location}`, [
          ...routeLines(route),
          ...requestCheckLines(),
          ...methodCheckLines(),
          ...(writesNeedAuth ? requireAuthForWrites() : []),
          ...(interceptErrors ? ['proxy_intercept_errors on;'] : []),
          `proxy_pass http://${upstream};`,
        ]),
      ),
    ),
    ...(booksRoute
      ? authLocations(
          settings.auth,
          platform,
          routeLines(booksRoute.route),
          writeRelayProxyLines(timeouts),
          settings.clientMaxBodySize.nginx,
        )
      : []),
  ]);
}

/** The Host header sent to the backends. */
const upstreamHostVariable = '$gateway_upstream_host';

/**
 * The client's host, or the upstream's name (nginx's own default) when an HTTP/1.0 or 0.9
 * request came without one: an empty value would send no Host, and the backends, spoken to in
 * HTTP/1.1, refuse a request without it.
 */
function upstreamHostMap(): string[] {
  return block(`map $host ${upstreamHostVariable}`, ['"" $proxy_host;', 'default $host;']);
}

/** The client's address as `Forwarded: for=` writes it: an IPv6 address quoted in brackets (RFC 7239). */
const forwardedForVariable = '$gateway_forwarded_for';

function forwardedForMap(): string[] {
  return block(`map $remote_addr ${forwardedForVariable}`, ['"~:" "\\"[$remote_addr]\\"";', 'default $remote_addr;']);
}

function statusServer(listen: string, platform: GatewayRenderInput['platform'], metrics: MetricsSet): string[] {
  const checks = statusMethodCheckLines();
  return block('server', [
    listen,
    'access_log off;',
    ...commonServerLines(platform.configDir),
    // Read-only: GET and HEAD, a JSON 405 otherwise (checked per location, not on the server,
    // where the error page's own internal redirect would be refused again). The metrics' njs
    // would read a body, which is refused there (413); the other locations' handlers drop it.
    `set ${routeVariable} ${statusRoute.route};`,
    ...block(`location = ${healthPath}`, [
      ...checks,
      'default_type application/json;',
      `return 200 '{"status":"ok","config":"${versionPlaceholder}"}';`,
    ]),
    // nginx's connection counters, which the metrics below include; this port is never public.
    ...block(`location = ${stubStatusPath}`, [...checks, 'stub_status;']),
    ...metricsStatusLines(metricsPath, metrics, [...checks, ...statusBodyCheckLines()], platform),
    ...block('location /', [...checks, 'return 404;']),
  ]);
}
