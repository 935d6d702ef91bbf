import { block, quoted } from './nginx-text.js';

/*
 * The gateway's own answers (JSON errors, CORS preflights, closing HTTP/0.9 requests) come from
 * internal locations whose njs handler answers in the content phase. nginx's `return` would
 * answer in the rewrite phase, before limit_req and limit_conn (preaccess phase) ever saw the
 * request: 500 pipelined OPTIONS or refused POSTs were all answered, none counted. A location
 * decides in its rewrite phase and redirects here, and the limits count the request on the way.
 */
/** The njs module of the public server's requests: these answers and the header check. */
export const requestScriptFile = 'gateway-request.js';
/** The name it is imported under, at http level: every location of both servers can call it. */
export const requestModule = 'gateway_request';

/**
 * The internal location answering `status` (a number, or a variable holding one) with the
 * gateway's JSON error body. Internal URIs rather than named locations: a request whose request
 * line nginx could not parse has no URI, and nginx cannot redirect it to a named location.
 */
export const errorUri = (status: number | string): string => `/_gateway/errors/${status}`;
const preflightUri = '/_gateway/preflight';
const closeUri = '/_gateway/close';

/** `400` or `431` when the request line or headers must not reach a backend, else empty. */
const requestFlawVariable = '$gateway_request_flaw';
/** `1` for an HTTP/0.9 request line (`GET /`): no version, so no status line or headers either. */
const http09Variable = '$gateway_http09';

/** http-level lines: the script and the checks of what a client sent. */
export function answersHttpLines(configDir: string): string[] {
  return [
    `js_import ${requestModule} from ${configDir}/${requestScriptFile};`,
    // Control bytes in a header value, or more than 8 kB of headers in total (njs: nginx has no
    // directive for either). Evaluated only by the route locations that use it.
    `js_set $gateway_header_flaw ${requestModule}.headerFlaw;`,
    // The raw path and query are printable ASCII (RFC 3986); a raw 0xff or a control byte is
    // refused here rather than passed to the API.
    ...block(`map $request_uri ${requestFlawVariable}`, ['"~[^\\x21-\\x7e]" 400;', 'default $gateway_header_flaw;']),
    // Before any answer `$status` is 000, or 009 for an HTTP/0.9 request line (nginx's own marker).
    ...block(`map $status ${http09Variable}`, ['009 1;', 'default 0;']),
  ];
}

/** `rewrite` to an internal location, ending the rewrite phase of this one. */
export const redirectTo = (uri: string): string => `rewrite ^ ${uri} last;`;

/** The body of an answer location: status and body (nginx variables allowed in it) for njs. */
export function answerLines(status: number, body = ''): string[] {
  return [`set $gateway_answer_status ${status};`, `set $gateway_answer_body ${quoted(body)};`, `js_content ${requestModule}.answer;`];
}

/** The first line of a route location: malformed headers or path get their error here. */
export function requestCheckLines(): string[] {
  return [`if (${requestFlawVariable}) { ${redirectTo(errorUri(requestFlawVariable))} }`];
}

/** Sends an OPTIONS request to the preflight answer (204, headers from the CORS maps). */
export const preflightLine = (): string => redirectTo(preflightUri);

/**
 * Lines of both servers: HTTP/0.9 requests are closed without a response (444), since an answer
 * could carry none of the gateway's headers; and the locations answering preflights and that.
 */
export function answerServerLines(): string[] {
  return [
    `if (${http09Variable}) { ${redirectTo(closeUri)} }`,
    ...block(`location = ${preflightUri}`, ['internal;', ...answerLines(204)]),
    ...block(`location = ${closeUri}`, ['internal;', ...answerLines(444)]),
  ];
}
