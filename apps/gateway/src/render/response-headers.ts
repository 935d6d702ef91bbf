import { allowHeaderValue, optionsAllowVariable } from './methods.js';
import { block } from './nginx-text.js';
import { requestIdVariable } from './request-id.js';

/**
 * The headers the gateway adds to every response, in one file that both servers include, and
 * every location that adds a header of its own includes again: nginx drops all inherited
 * `add_header` lines in a location that has one.
 */
export const responseHeadersFile = 'response-headers.conf';

/**
 * For the page: everything from the gateway's own origin, nothing inline, no framing. The page
 * is a Vite build (module script, stylesheet, SVG icon) fetching the relative `/books`.
 */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** One year, the usual HSTS lifetime once a site is HTTPS-only. */
const hstsMaxAgeSeconds = 31536000;

/** Headers a preflight may ask for, and those a page from another origin may read. */
const corsAllowHeaders = 'Authorization, Content-Type, X-API-Key, X-Request-Id';
const corsExposeHeaders = 'X-Request-Id, Retry-After, WWW-Authenticate, X-Auth-Error';
const corsMaxAgeSeconds = 600;

const securityHeaders: ReadonlyArray<[name: string, value: string]> = [
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'no-referrer'],
  ['Content-Security-Policy', contentSecurityPolicy],
];

const corsHeaders: ReadonlyArray<[name: string, value: string]> = [
  ['Access-Control-Allow-Origin', '$gateway_cors_origin'],
  ['Access-Control-Allow-Methods', '$gateway_cors_methods'],
  ['Access-Control-Allow-Headers', '$gateway_cors_headers'],
  ['Access-Control-Max-Age', '$gateway_cors_max_age'],
  ['Access-Control-Expose-Headers', '$gateway_cors_expose'],
];

/**
 * Headers the gateway owns: a backend's own copy is hidden so the client never sees two
 * (and X-Powered-By, which only tells an attacker what runs behind).
 */
export const hiddenUpstreamHeaders = [
  'X-Powered-By',
  ...securityHeaders.map(([name]) => name),
  'Strict-Transport-Security',
  ...corsHeaders.map(([name]) => name),
];

export function responseHeadersConf(options: { tls: boolean; cors: boolean }): string {
  const headers: Array<[string, string]> = [
    ['X-Request-Id', requestIdVariable],
    // Only on the gateway's answers to OPTIONS: the methods of the route asked about.
    ['Allow', optionsAllowVariable],
    ...securityHeaders,
    ...(options.tls ? [['Strict-Transport-Security', `max-age=${hstsMaxAgeSeconds}`] as [string, string]] : []),
    // An empty value adds nothing: these appear only for an allowed origin.
    ...(options.cors ? [...corsHeaders, ['Vary', 'Origin'] as [string, string]] : []),
  ];
  return [
    '# Rendered by apps/gateway (renderGateway): headers on every response of the gateway.',
    ...headers.map(([name, value]) => `add_header ${name} "${value}" always;`),
    '',
  ].join('\n');
}

/** Maps setting the CORS header values: empty unless the request's Origin is configured. */
export function corsMaps(origins: readonly string[]): string[] {
  if (origins.length === 0) return [];
  return [
    ...block('map $http_origin $gateway_cors_origin', ['default "";', ...origins.map((origin) => `"${origin}" "${origin}";`)]),
    ...block('map $gateway_cors_origin $gateway_cors_expose', ['"" "";', `default "${corsExposeHeaders}";`]),
    ...block('map "$request_method $gateway_cors_origin" $gateway_cors_preflight', ['"~^OPTIONS ." 1;', 'default 0;']),
    ...block('map $gateway_cors_preflight $gateway_cors_methods', [`1 "${allowHeaderValue}";`, 'default "";']),
    ...block('map $gateway_cors_preflight $gateway_cors_headers', [`1 "${corsAllowHeaders}";`, 'default "";']),
    ...block('map $gateway_cors_preflight $gateway_cors_max_age', [`1 ${corsMaxAgeSeconds};`, 'default "";']),
  ];
}
