/**
 * The nginx configurations the bench compares: the tutorial's reverse proxy as it ran in the
 * official nginx image, and the gateway as `renderGateway` renders it, with variants of the
 * settings worth tuning (each a small, checked edit of the rendered nginx.conf).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { clusterPlatform, mainConfigFile, tempPathDirectives, type NginxPlatform } from '../apps/gateway/src/index.js';
import type { GatewayAuth, GatewayRateLimit, GatewaySecretsInput } from '../apps/gateway/src/types.js';
import { type GatewayNginx, type GatewayOptions, type NginxLauncher, prepareGatewayNginx } from '../scripts/toolkit/gateway-nginx.js';
import { reportExitDuringBench } from './nginx-server.js';

/** Loopback ports of the services behind the proxies. */
export interface BackendPorts {
  /** The books API processes, every proxy balancing over all of them. */
  books: readonly number[];
  booksReact: number;
}

const host = '127.0.0.1';

/**
 * The tutorial's `my-server.conf` (two `location`s, nothing else) inside the official nginx
 * image's main nginx.conf (auto workers, `main` access log to a file, sendfile, keepalive 65 s),
 * which is what its container ran; only the paths move to a private folder so that nginx starts
 * without root. Its `books-service:5000` was a ClusterIP Service spreading connections over the
 * pods: here an upstream of the books processes without keepalive, as that was.
 */
export function tutorialNginxConf(listenPort: number, backends: BackendPorts, runDir: string): string {
  return [
    'daemon off;',
    'worker_processes auto;',
    `pid ${runDir}/nginx.pid;`,
    'error_log stderr notice;',
    'events { worker_connections 1024; }',
    'http {',
    '  include /etc/nginx/mime.types;',
    '  default_type application/octet-stream;',
    `  log_format main '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for"';`,
    `  access_log ${runDir}/access.log main;`,
    '  sendfile on;',
    '  keepalive_timeout 65;',
    ...tempPathDirectives(runDir).map((line) => `  ${line}`),
    '  upstream books-service {',
    ...backends.books.map((port) => `    server ${host}:${port};`),
    '  }',
    '  server {',
    `    listen ${host}:${listenPort};`,
    '    location /books { proxy_pass http://books-service; }',
    `    location / { proxy_pass http://${host}:${backends.booksReact}; }`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/**
 * The load generator is one client address standing for many clients: the default per-address
 * limits (made for one browser) would answer it 429. Every gateway the bench starts gets limits
 * this high instead, which nginx still checks on every request.
 */
export const loadGeneratorRateLimit: GatewayRateLimit = { requestsPerSecond: 1_000_000, burst: 1_000_000, connectionsPerClient: 60_000 };

/** One way of running the gateway: renderer options, platform settings and edits of its files. */
export interface GatewayVariant {
  name: string;
  /** What differs from the rendered default, as a reader of the results wants to know it. */
  change: string;
  /** Renderer options over the bench's defaults (`loadGeneratorRateLimit`). */
  options?: GatewayOptions;
  /** Key material, rendered by `renderGatewaySecrets` into the secrets folder. */
  secrets?: GatewaySecretsInput;
  platform?: Partial<NginxPlatform>;
  /** Edits of rendered files, by file name; each throws when the text it edits is not there. */
  editFiles?: Readonly<Record<string, (text: string) => string>>;
}

/** The rendered file of the headers every response gets (apps/gateway's response-headers.ts). */
const responseHeadersFile = 'response-headers.conf';

/**
 * Replaces the matches of `pattern`: exactly one, or with `every`, at least one. Fails loudly
 * rather than measuring the unedited default.
 */
function edit(text: string, pattern: RegExp, replacement: string, what: string, every = false): string {
  const global = new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`);
  const count = text.match(global)?.length ?? 0;
  if (every ? count === 0 : count !== 1) {
    throw new Error(`cannot ${what}: expected ${every ? 'a' : 'one'} match of ${pattern} in the rendered configuration, found ${count}`);
  }
  return text.replace(global, replacement);
}

/** A variant that edits only nginx.conf. */
const editingConf = (name: string, change: string, editConf: (conf: string) => string): GatewayVariant => ({
  name,
  change,
  editFiles: { [mainConfigFile]: editConf },
});

export const defaultGateway: GatewayVariant = {
  name: 'default',
  change: 'as rendered for the cluster (pool 128, access log buffered, proxy buffering on), but workers auto',
};

/**
 * Settings tried on the gateway, each alone against the default; then each of the gateway's
 * features turned off alone, what it costs (the differences from the bare proxy, one at a time).
 */
export const tuningVariants: readonly GatewayVariant[] = [
  defaultGateway,
  { name: 'workers 1', change: 'worker_processes 1', platform: { workerProcesses: 1 } },
  editingConf('log unbuffered', 'access_log without buffer= and flush= (a write per request)', (conf) =>
    edit(conf, /(access_log \S+ gateway_json) buffer=\S+ flush=\S+;/, '$1;', 'unbuffer the access log'),
  ),
  // The default was 32 until this variant showed what 128 buys at 100 connections.
  editingConf('pool 32', 'upstream keepalive 32 (from 128)', (conf) =>
    edit(conf, /(upstream books \{[^}]*keepalive )128;/, '$132;', 'shrink the books keepalive pool'),
  ),
  editingConf('no proxy buffering', 'proxy_buffering off', (conf) =>
    // The public server's line (the relay of writes has one of its own, in its location).
    edit(conf, /^( {4}proxy_http_version 1\.1;)$/m, '$1\n    proxy_buffering off;', 'turn proxy buffering off'),
  ),
  editingConf('no reuseport', 'one listening socket shared by the workers (reuseport off)', (conf) =>
    edit(conf, /(server \{\n\s*listen [^;\s]+) reuseport;/, '$1;', 'take reuseport off the public listen'),
  ),
  { name: '-log', change: 'access_log off (what the JSON access log costs)', platform: { accessLog: 'off' } },
  {
    name: '-request id',
    change: 'no X-Request-Id made, passed on, returned or logged',
    editFiles: {
      [mainConfigFile]: (conf) =>
        edit(
          edit(conf, /\n\s*proxy_set_header X-Request-Id [^;]+;/, '', 'stop passing the request id on'),
          /"requestId":"\$gateway_request_id",/,
          '',
          'stop logging the request id',
        ),
      [responseHeadersFile]: (headers) => edit(headers, /add_header X-Request-Id [^\n]+\n/, '', 'stop returning the request id'),
    },
  },
  editingConf('-method checks', "the route's method checks (405, OPTIONS 204) removed", (conf) =>
    edit(conf, /\n\s*if \(\$gateway_method_action = \w+\) \{[^}]*\}/, '', 'remove the method checks', true),
  ),
  editingConf('-header check', 'no header check: the njs control-byte check and the size maps after it', (conf) =>
    edit(conf, /default \$gateway_header_flaw;/, 'default "";', 'skip the njs header check'),
  ),
  editingConf('-write auth', 'the check that sends writes to authentication removed', (conf) =>
    edit(conf, /\n\s*if \(\$gateway_needs_auth\) \{[^}]*\}/, '', 'remove the write check', true),
  ),
  editingConf('-response headers', 'no security headers (nor Allow, X-Request-Id) added to responses', (conf) =>
    edit(conf, /(server \{\n\s*listen [^;]+;)\n\s*include \S+response-headers\.conf;/, '$1', 'drop the response headers'),
  ),
  editingConf('-limits', 'limit_req and limit_conn removed (what rate limiting costs)', (conf) =>
    edit(edit(conf, /\n\s*limit_req zone=[^;]+;/, '', 'remove limit_req'), /\n\s*limit_conn gateway[^;]+;/, '', 'remove limit_conn'),
  ),
  editingConf('-forwarded headers', 'X-Forwarded-*, X-Auth-* no longer set for the backend', (conf) =>
    edit(conf, /\n\s*proxy_set_header (X-Forwarded-\w+|X-Auth-\w+) [^;]+;/, '', 'stop setting the forwarded headers', true),
  ),
  editingConf('-hidden headers', "the backends' own copies of the gateway's headers no longer hidden", (conf) =>
    edit(conf, /\n\s*proxy_hide_header [^;]+;/, '', 'stop hiding headers', true),
  ),
];

export interface GatewayPorts {
  listen: number;
  status: number;
}

/** The rendered files with the variant's edits. */
function editedFiles(variant: GatewayVariant, files: Record<string, string>): Record<string, string> {
  const edited = { ...files };
  for (const [name, editFile] of Object.entries(variant.editFiles ?? {})) {
    const text = files[name];
    if (text === undefined) throw new Error(`variant '${variant.name}' edits ${name}, which renderGateway no longer renders`);
    edited[name] = editFile(text);
  }
  return edited;
}

/**
 * The gateway nginx of one variant in `folder`, in front of the books processes and the page,
 * written and checked (not started).
 */
export function prepareGatewayVariant(
  variant: GatewayVariant,
  folder: string,
  ports: GatewayPorts,
  backends: BackendPorts,
  launcher: NginxLauncher,
): Promise<GatewayNginx> {
  return prepareGatewayNginx({
    name: `gateway ${variant.name}`,
    launcher,
    folder,
    // The access log as the cluster writes it: the bench measures the gateway as deployed.
    platform: { accessLogFlushSeconds: clusterPlatform.accessLogFlushSeconds, ...variant.platform },
    ports,
    upstreams: { books: backends.books, booksReact: [backends.booksReact] },
    options: { rateLimit: loadGeneratorRateLimit, ...variant.options },
    secrets: variant.secrets,
    editFiles: (files) => editedFiles(variant, files),
    listeners: { onUnexpectedExit: reportExitDuringBench },
  });
}

/**
 * Case (d): JWT (RS256, a fresh key) and API keys configured, under the same high limits.
 * Reads are public, so the gateway asks for credentials only on writes: the API key every
 * request carries shows whether a read pays anything for authentication being on.
 */
function authenticatedGateway(): { variant: GatewayVariant; headers: Record<string, string> } {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwks = JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'bench', use: 'sig' }] });
  const apiKey = randomBytes(24).toString('base64url');
  const auth: GatewayAuth = {
    jwt: { issuer: 'https://issuer.bench.invalid', audience: 'books-gateway', algorithms: ['RS256'] },
    apiKeys: true,
  };
  return {
    variant: {
      name: 'auth',
      change: 'auth: JWT RS256 + API keys; rate limit on (not reached)',
      options: { auth },
      secrets: { jwks, apiKeys: { bench: apiKey } },
    },
    headers: { 'X-API-Key': apiKey },
  };
}

export const authGateway = authenticatedGateway();
