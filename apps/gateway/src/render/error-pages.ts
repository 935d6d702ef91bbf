import { STATUS_CODES } from 'node:http';
import { authVariables } from './auth.js';
import { errorAnswerLocation, errorUri, handOnAfterLimits, redirectTo } from './answers.js';
import { block, quoted } from './nginx-text.js';
import { requestIdVariable } from './request-id.js';
import { allowVariable } from './methods.js';
import { responseHeadersFile } from './response-headers.js';
import { upstreamTimedOutVariable } from './upstreams.js';

/** What the error pages need to know of the rest of the configuration. */
export interface ErrorPagesOptions {
  configDir: string;
  /** Retry-After of a 429. */
  retryAfterSeconds: number;
}

interface GatewayError {
  status: number;
  message: string;
  /** Statuses nginx itself uses for this case, answered with this status instead. */
  nginxStatuses?: readonly number[];
  /** Headers this answer adds to the usual ones. */
  headers?: ReadonlyArray<[name: string, value: string]>;
  /** A variable saying why, added to the body as `reason` (its values are plain text). */
  reasonVariable?: string;
  /**
   * While `variable` is set, this error is answered as `status` instead: its location hands the
   * request to that status's location, and its `error_page` takes the status of the answer.
   */
  answeredAs?: { variable: string; status: number };
}

/**
 * Errors the gateway answers itself (no backend response exists) and what the client reads.
 * The books API's own error responses pass through untouched (`proxy_intercept_errors` is off
 * on its route), so there `error_page` only replaces nginx's HTML pages; the page's route
 * intercepts its static server's HTML errors (render-gateway.ts says why).
 */
const gatewayErrors = (retryAfterSeconds: number): GatewayError[] => [
  // 497: plain HTTP sent to the TLS port. 501 (a Transfer-Encoding nginx does not know) and 505
  // (HTTP/2.0 or 9.9 in a request line) are nginx's 5xx for what is the client's mistake.
  { status: 400, nginxStatuses: [497, 501, 505], message: 'The gateway could not understand the request.' },
  {
    status: 401,
    message: 'This request needs a valid bearer token or API key.',
    headers: [
      ['WWW-Authenticate', authVariables.challenge],
      ['X-Auth-Error', authVariables.error],
    ],
    reasonVariable: authVariables.error,
  },
  { status: 403, message: 'Access to this path is not allowed.' },
  { status: 404, message: 'Nothing exists at this path.' },
  { status: 405, message: 'This method is not allowed here.', headers: [['Allow', allowVariable]] },
  { status: 408, message: 'The request took too long to arrive.' },
  { status: 413, message: 'The request body is larger than the gateway accepts.' },
  { status: 414, message: 'The request URI is longer than the gateway accepts.' },
  { status: 412, message: 'The file does not match the precondition of the request.' },
  { status: 416, message: 'The requested range lies outside the file.' },
  { status: 429, message: 'Too many requests: slow down and retry later.', headers: [['Retry-After', String(retryAfterSeconds)]] },
  // nginx's own code for oversized headers (it would answer a 400 HTML page): the standard 431.
  { status: 431, nginxStatuses: [494], message: 'The request headers are larger than the gateway accepts.' },
  { status: 500, message: 'The gateway failed to handle the request.' },
  // After a try timed out, nginx answers 502 when no other backend is left to retry on: each one
  // out of rotation after its own failure (max_fails, "no live upstreams"), or refusing. The
  // client waited on a hung backend, so it gets the 504 that its try ended with.
  {
    status: 502,
    message: 'The service behind the gateway is unavailable.',
    answeredAs: { variable: upstreamTimedOutVariable, status: 504 },
  },
  { status: 503, message: 'The service is temporarily unavailable.' },
  { status: 504, message: 'The service behind the gateway did not answer in time.' },
];

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

/**
 * `error_page` lines, the internal locations they redirect to (where the limits count the
 * request) and the named locations answering from there, included in each server block.
 */
export function errorPagesConf({ configDir, retryAfterSeconds }: ErrorPagesOptions): string {
  const errors = gatewayErrors(retryAfterSeconds);
  const lines = [
    // An error while answering an error gets its JSON page too, not nginx's HTML. No loop: the
    // pages below only answer with a body.
    'recursive_error_pages on;',
    ...errors.flatMap(({ status, nginxStatuses = [], answeredAs }) => [
      // `=status`, so a client waiting on `Expect: 100-continue` gets this answer, not a
      // `100 Continue`; `=` alone where the status is the one the location answers with.
      `error_page ${status} =${answeredAs ? '' : status} ${errorUri(status)};`,
      ...nginxStatuses.map((nginxStatus) => `error_page ${nginxStatus} =${status} ${errorUri(status)};`),
    ]),
    ...errors.flatMap((gatewayError) => [
      ...block(`location = ${errorUri(gatewayError.status)}`, [
        ...(gatewayError.answeredAs
          ? [`if (${gatewayError.answeredAs.variable}) { ${redirectTo(errorUri(gatewayError.answeredAs.status))} }`]
          : []),
        ...handOnAfterLimits(configDir, errorAnswerLocation(gatewayError.status)),
      ]),
      ...block(`location ${errorAnswerLocation(gatewayError.status)}`, [
        'default_type application/json;',
        // A location with add_header of its own inherits none: the usual ones come again.
        ...(gatewayError.headers
          ? [
              `include ${configDir}/${responseHeadersFile};`,
              ...gatewayError.headers.map(([name, value]) => `add_header ${name} "${value}" always;`),
            ]
          : []),
        `return ${gatewayError.status} ${quoted(errorBody(gatewayError))};`,
      ]),
    ]),
  ];
  return ['# Rendered by apps/gateway (renderGateway): JSON bodies for the errors nginx answers itself.', ...lines, ''].join('\n');
}
