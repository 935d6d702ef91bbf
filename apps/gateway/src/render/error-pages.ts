import { STATUS_CODES } from 'node:http';
import { authVariables } from './auth.js';
import { block, quoted } from './nginx-text.js';
import { requestIdVariable } from './request-id.js';
import { allowHeaderValue, responseHeadersFile } from './response-headers.js';

/** What the error pages need to know of the rest of the configuration. */
export interface ErrorPagesOptions {
  configDir: string;
  /** Retry-After of a 429. */
  retryAfterSeconds: number;
}

interface GatewayError {
  status: number;
  message: string;
  /** The status nginx itself uses, when it is not the standard one. */
  nginxStatus?: number;
  /** Headers this answer adds to the usual ones. */
  headers?: ReadonlyArray<[name: string, value: string]>;
  /** A variable saying why, added to the body as `reason` (its values are plain text). */
  reasonVariable?: string;
}

/**
 * Errors the gateway answers itself (no backend response exists) and what the client reads.
 * Backends' own error responses pass through untouched: `proxy_intercept_errors` stays off, so
 * `error_page` only replaces nginx's HTML pages.
 */
const gatewayErrors = (retryAfterSeconds: number): GatewayError[] => [
  // 497: nginx's own code for plain HTTP sent to the TLS port.
  { status: 400, nginxStatus: 497, message: 'The gateway could not understand the request.' },
  {
    status: 401,
    message: 'This request needs a valid bearer token or API key.',
    headers: [['WWW-Authenticate', authVariables.challenge]],
    reasonVariable: authVariables.error,
  },
  { status: 404, message: 'No route of the gateway matches this path.' },
  { status: 405, message: 'This method is not allowed here.', headers: [['Allow', allowHeaderValue]] },
  { status: 408, message: 'The request took too long to arrive.' },
  { status: 413, message: 'The request body is larger than the gateway accepts.' },
  { status: 414, message: 'The request URI is longer than the gateway accepts.' },
  { status: 429, message: 'Too many requests: slow down and retry later.', headers: [['Retry-After', String(retryAfterSeconds)]] },
  // nginx's own code for oversized headers (it would answer a 400 HTML page): the standard 431.
  { status: 431, nginxStatus: 494, message: 'The request headers are larger than the gateway accepts.' },
  { status: 500, message: 'The gateway failed to handle the request.' },
  { status: 502, message: 'The service behind the gateway is unavailable.' },
  { status: 503, message: 'The service is temporarily unavailable.' },
  { status: 504, message: 'The service behind the gateway did not answer in time.' },
];

/**
 * Internal URIs rather than named locations: a request whose request line nginx could not parse
 * has no URI, and nginx cannot redirect it to a named location (it answers a 500 HTML page).
 * `internal` makes them unreachable from outside (a client asking gets the JSON 404).
 */
const errorUri = (status: number): string => `/_gateway/errors/${status}`;

/**
 * The body has the books API's error shape (`error`: the reason phrase in snake case, `message`)
 * plus the request id, so a client parses one format whoever failed.
 */
function errorBody({ status, message, reasonVariable }: GatewayError): string {
  const error = (STATUS_CODES[status] ?? 'Error').toLowerCase().replace(/[^a-z0-9]+/g, '_');
  const fixedPart = JSON.stringify({ error, message });
  if (fixedPart.includes('$')) throw new Error(`error text for ${status} must not contain '$' (nginx would read a variable)`);
  const reason = reasonVariable ? `,"reason":"${reasonVariable}"` : '';
  return `${fixedPart.slice(0, -1)}${reason},"requestId":"${requestIdVariable}"}`;
}

/** File (next to nginx.conf) holding the error pages; both servers include it. */
export const errorPagesFile = 'json-errors.conf';

/** `error_page` lines and the named locations answering them, included in each server block. */
export function errorPagesConf({ configDir, retryAfterSeconds }: ErrorPagesOptions): string {
  const errors = gatewayErrors(retryAfterSeconds);
  const lines = [
    ...errors.flatMap(({ status, nginxStatus }) => [
      `error_page ${status} ${errorUri(status)};`,
      ...(nginxStatus ? [`error_page ${nginxStatus} =${status} ${errorUri(status)};`] : []),
    ]),
    ...errors.flatMap((gatewayError) =>
      block(`location = ${errorUri(gatewayError.status)}`, [
        'internal;',
        'default_type application/json;',
        // A location with add_header of its own inherits none: the usual ones come again.
        ...(gatewayError.headers
          ? [`include ${configDir}/${responseHeadersFile};`, ...gatewayError.headers.map(([name, value]) => `add_header ${name} "${value}" always;`)]
          : []),
        `return ${gatewayError.status} ${quoted(errorBody(gatewayError))};`,
      ]),
    ),
  ];
  return ['# Rendered by apps/gateway (renderGateway): JSON bodies for the errors nginx answers itself.', ...lines, ''].join('\n');
}
