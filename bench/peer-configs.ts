/**
 * The proxies a user would pick instead of the gateway, configured by the bench to do the
 * gateway's job as closely as each can: the same two routes (`/books`, `/books/...` to the API,
 * the rest to the page), the same method rules (writes on the API refused, since the gateway
 * has no credentials configured by default), connection reuse to the backends, a request id
 * (a well-formed incoming one kept, else a random one) passed on and returned, the gateway's
 * security headers, the client's X-Forwarded-* replaced, a JSON access log written to a file,
 * and a per-client rate limit no single client reaches. Plus the floor: nginx as a bare
 * keepalive proxy, nothing else.
 *
 * Pure functions of ports and paths: the test (test/bench/peers.test.ts) runs each one for real.
 */
import { allowedMethods, contentSecurityPolicy, tempPathDirectives } from '../apps/gateway/src/index.js';
import type { GatewayRateLimit } from '../apps/gateway/src/types.js';

export interface PeerInput {
  listenPort: number;
  /** The books API processes (loopback ports), balanced round-robin. */
  books: readonly number[];
  booksReact: number;
  /** Worker processes (nginx) or threads (HAProxy, Caddy's GOMAXPROCS): the same for every proxy. */
  workers: number;
  /** Private writable folder: pid file, temp paths, the access log. */
  runDir: string;
  rateLimit: GatewayRateLimit;
}

const host = '127.0.0.1';

/** The headers the gateway adds to every response (apps/gateway's response-headers.ts). */
export const securityHeaders: ReadonlyArray<[name: string, value: string]> = [
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'no-referrer'],
  ['Content-Security-Policy', contentSecurityPolicy],
];

/** The gateway's rule for keeping a client's X-Request-Id (apps/gateway's request-id.ts). */
const requestIdPattern = '^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$';
/** Reads: the only methods the page takes, and the only ones the API takes without credentials. */
const readMethods = ['GET', 'HEAD', 'OPTIONS'];
const upstreamPool = 128;

export const accessLogFile = (runDir: string): string => `${runDir}/access.log`;

/**
 * HAProxy 2.6: stick table per client address (request rate over 1 s, concurrent
 * connections), `http-reuse always` (any idle backend connection serves any request, as
 * nginx's keepalive pool does), `http-after-response` so the headers are on HAProxy's own
 * answers too (nginx's `always`). The log goes to stdout, which the bench points at a file.
 */
export function haproxyConfig(input: PeerInput): string {
  const quote = (value: string) => `"${value.replace(/["\\]/g, '\\$&')}"`;
  const { rateLimit } = input;
  const logFields: ReadonlyArray<[name: string, value: string, numeric?: true]> = [
    ['time', '%[date,ltime(%Y-%m-%dT%H:%M:%S%z)]'],
    ['requestId', '%[var(txn.request_id),json(utf8s)]'],
    ['remoteAddr', '%ci'],
    ['method', '%HM'],
    ['uri', '%[var(txn.uri),json(utf8s)]'],
    ['backend', '%b'],
    ['status', '%ST', true],
    ['bytesSent', '%B', true],
    ['requestTimeMs', '%Ta', true],
    ['upstreamAddr', '%si:%sp'],
    ['upstreamResponseTimeMs', '%Tr', true],
    ['userAgent', '%[var(txn.user_agent),json(utf8s)]'],
  ];
  const logFormat = `{${logFields.map(([name, value, numeric]) => (numeric ? `"${name}":${value}` : `"${name}":"${value}"`)).join(',')}}`;
  return [
    'global',
    `  nbthread ${input.workers}`,
    '  maxconn 4096',
    `  pidfile ${input.runDir}/haproxy.pid`,
    '  log stdout format raw local0',
    'defaults',
    '  mode http',
    '  log global',
    `  log-format ${quote(logFormat)}`,
    '  timeout connect 2s',
    '  timeout server 5s',
    '  timeout client 10s',
    '  timeout http-request 10s',
    '  timeout http-keep-alive 60s',
    // The gateway's retries: up to two more tries, on another server, for failures before a response.
    '  retries 2',
    '  option redispatch 1',
    '  retry-on conn-failure empty-response 502 503 504',
    '  http-reuse always',
    'frontend gateway',
    `  bind ${host}:${input.listenPort}`,
    '  stick-table type ip size 100k expire 10s store conn_cur,http_req_rate(1s)',
    // First, so that HAProxy's own refusals carry the id and are logged with it too.
    '  http-request set-var(txn.request_id) uuid',
    `  http-request set-var(txn.request_id) req.hdr(x-request-id) if { req.hdr(x-request-id) -m reg ${requestIdPattern} }`,
    '  http-request set-var(txn.uri) url',
    '  http-request set-var(txn.user_agent) req.hdr(user-agent)',
    '  tcp-request connection track-sc0 src',
    `  tcp-request connection reject if { sc_conn_cur(0) gt ${rateLimit.connectionsPerClient} }`,
    `  http-request deny deny_status 429 if { sc_http_req_rate(0) gt ${rateLimit.requestsPerSecond + rateLimit.burst} }`,
    '  acl books_route path /books',
    '  acl books_route path_beg /books/',
    `  http-request deny deny_status 405 if books_route !{ method ${allowedMethods.join(' ')} }`,
    `  http-request deny deny_status 405 if !books_route !{ method ${readMethods.join(' ')} }`,
    `  http-request deny deny_status 401 if books_route !{ method ${readMethods.join(' ')} }`,
    '  http-request set-header X-Request-Id %[var(txn.request_id)]',
    '  http-request set-header X-Forwarded-For %[src]',
    '  http-request set-header X-Forwarded-Proto http',
    '  http-request set-header X-Forwarded-Host %[req.hdr(host)]',
    '  http-request del-header X-Auth-Subject',
    '  http-request del-header X-Auth-Method',
    '  http-response del-header X-Powered-By',
    '  http-after-response set-header X-Request-Id %[var(txn.request_id)]',
    ...securityHeaders.map(([name, value]) => `  http-after-response set-header ${name} ${quote(value)}`),
    '  use_backend books if books_route',
    '  default_backend books_react',
    'backend books',
    '  balance roundrobin',
    ...input.books.map((port, index) => `  server books${index + 1} ${host}:${port} pool-max-conn ${upstreamPool} pool-purge-delay 30s`),
    'backend books_react',
    `  server page ${host}:${input.booksReact} pool-max-conn ${upstreamPool} pool-purge-delay 30s`,
    '',
  ].join('\n');
}

/**
 * Caddy 2.6 (a Caddyfile): `map` keeps a well-formed client id or takes Caddy's random UUID;
 * the `header` block is deferred (it deletes headers), so it also replaces a backend's copies;
 * Caddy replaces the client's X-Forwarded-* itself. Caddy 2.6 has no rate limiting of its own
 * (only the third-party caddy-ratelimit plugin, not in Debian's build), so this peer has none.
 */
export function caddyfile(input: PeerInput): string {
  const books = '/books /books/*';
  const upstream = (ports: readonly number[]) => ports.map((port) => `${host}:${port}`).join(' ');
  const proxy = (matcher: string, ports: readonly number[]) => [
    `    reverse_proxy ${matcher}${upstream(ports)} {`,
    '      lb_policy round_robin',
    '      header_up X-Request-Id {gateway_request_id}',
    '      header_up -X-Auth-Subject',
    '      header_up -X-Auth-Method',
    '      transport http {',
    '        keepalive 30s',
    `        keepalive_idle_conns ${upstreamPool}`,
    `        keepalive_idle_conns_per_host ${upstreamPool}`,
    '      }',
    '    }',
  ];
  return [
    '{',
    '  admin off',
    '  auto_https off',
    '  servers {',
    '    protocols h1',
    '    timeouts {',
    '      read_header 10s',
    '      idle 60s',
    '    }',
    '  }',
    '}',
    `http://${host}:${input.listenPort} {`,
    '  log {',
    `    output file ${accessLogFile(input.runDir)}`,
    '    format json',
    '  }',
    '  map {http.request.header.X-Request-Id} {gateway_request_id} {',
    // The captured group: a placeholder as the output of a regex entry is not expanded in 2.6.
    `    ~^(${requestIdPattern.slice(1, -1)})$ "\${1}"`,
    '    default {http.request.uuid}',
    '  }',
    '  header {',
    '    X-Request-Id {gateway_request_id}',
    ...securityHeaders.map(([name, value]) => `    ${name} "${value}"`),
    '    -X-Powered-By',
    '    -Server',
    '  }',
    `  @books_bad_method {\n    path ${books}\n    not method ${allowedMethods.join(' ')}\n  }`,
    `  @books_write {\n    path ${books}\n    not method ${readMethods.join(' ')}\n  }`,
    `  @page_bad_method {\n    not path ${books}\n    not method ${readMethods.join(' ')}\n  }`,
    `  @books path ${books}`,
    // route: in this order, not Caddy's default directive order (which puts respond last).
    '  route {',
    '    respond @books_bad_method 405',
    '    respond @books_write 401',
    '    respond @page_bad_method 405',
    ...proxy('@books ', input.books),
    ...proxy('', [input.booksReact]),
    '  }',
    '}',
    '',
  ].join('\n');
}

/** The floor: nginx proxying both routes over keepalive pools, listening as the gateway does, nothing else. */
export function bareNginxConf(input: PeerInput): string {
  const pool = (name: string, ports: readonly number[]) => [
    `  upstream ${name} {`,
    ...ports.map((port) => `    server ${host}:${port};`),
    `    keepalive ${upstreamPool};`,
    '  }',
  ];
  return [
    'daemon off;',
    `worker_processes ${input.workers};`,
    `pid ${input.runDir}/nginx.pid;`,
    'error_log stderr warn;',
    'events { worker_connections 4096; }',
    'http {',
    '  access_log off;',
    ...tempPathDirectives(input.runDir).map((line) => `  ${line}`),
    ...pool('books', input.books),
    ...pool('books_react', [input.booksReact]),
    '  server {',
    // The gateway's listen: the floor differs from it only by the gateway's features.
    `    listen ${host}:${input.listenPort} reuseport;`,
    '    proxy_http_version 1.1;',
    '    proxy_set_header Connection "";',
    // The gateway's routes: /bookshelf is the page's, not the API's.
    '    location = /books { proxy_pass http://books; }',
    '    location /books/ { proxy_pass http://books; }',
    '    location / { proxy_pass http://books_react; }',
    '  }',
    '}',
    '',
  ].join('\n');
}
