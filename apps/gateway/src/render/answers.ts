import { decimalAbovePattern } from './decimal-pattern.js';
import { block } from './nginx-text.js';

/*
 * The gateway's own answers (JSON errors, CORS preflights, closing HTTP/0.9 requests) follow
 * three rules:
 * - The per-client limits (limit_req, limit_conn: preaccess phase) count every request. So a
 *   request is never answered in the rewrite phase of the location that chose the answer: a
 *   location refuses with a bare `return <status>`, which nginx's `error_page` turns into an
 *   internal redirect to that status's location, and the limits count the request there.
 * - A refusal never reads the body: it is decided from the request line and headers, and
 *   answered by `return` (which discards a body as it arrives, bounded by lingering_time) from a
 *   named location. No njs answers: njs's js_content reads, and stores, the whole body before
 *   its handler runs (njs 0.7.9 to 1.0), so a refusal waited for a body that never came.
 *   `try_files`, in the precontent phase after the limits, hands the request to that location.
 * - An error reaches its answer through `error_page <status> =<status>`: with an explicit
 *   status nginx marks the request's `Expect: 100-continue` as handled, so a client waiting
 *   for a `100 Continue` gets the final status instead, and sends no body.
 */
/** The njs module of the public server's requests: the header check. */
export const requestScriptFile = 'gateway-request.js';
/** The name it is imported under, at http level: every location of both servers can call it. */
export const requestModule = 'gateway_request';

/**
 * The internal location answering `status` with the gateway's JSON error body. Internal URIs
 * rather than named locations as error_page targets: a request whose request line nginx could
 * not parse has no URI, and nginx cannot redirect it to a named location.
 */
export const errorUri = (status: number): string => `/_gateway/errors/${status}`;
/** The named location giving the answer of {@link errorUri}, once the limits have counted it. */
export const errorAnswerLocation = (status: number): string => `@gateway_error_${status}`;
const preflightUri = '/_gateway/preflight';
const closeUri = '/_gateway/close';

/**
 * A byte nginx cannot quote in its error log without the value ending its field early. A map
 * tries no regex on an empty value (an absent header), which takes its default: the pass.
 */
const errorLogUnsafeByte = '[^\\x21\\x23-\\x5b\\x5d-\\x7e]';
/** The statuses a request flaw is refused with: 400 (bytes), 413 (a body), 431 (header size). */
const requestFlawStatuses = [400, 413, 431] as const;
/** One of those when the request line or headers must not reach a backend, else empty. */
const requestFlawVariable = '$gateway_request_flaw';
/** `1` when a read (GET, HEAD, OPTIONS) carries a body: nothing reads it, nothing stores it. */
const readWithBodyVariable = '$gateway_read_with_body';
/**
 * Largest total of request header lines (names, values, separators and line ends) the gateway
 * passes on, in bytes. nginx itself only limits each line (large_client_header_buffers), so 4
 * lines of 7 kB would go through; the books API (Node) would then refuse them with its own 431.
 * gateway-request.js reads it from {@link maxHeaderBytesVariable}.
 */
const maxHeaderBytes = 8192;
/** The limit as njs reads it, for the one request in many it counts the header bytes of. */
const maxHeaderBytesVariable = '$gateway_max_header_bytes';
/** `1` for an HTTP/0.9 request line (`GET /`): no version, so no status line or headers either. */
const http09Variable = '$gateway_http09';

/** http-level lines: the script and the checks of what a client sent. */
export function answersHttpLines(configDir: string, maxBodyBytes: number): string[] {
  return [
    `js_import ${requestModule} from ${configDir}/${requestScriptFile};`,
    // Control bytes in a header value (njs: nginx has no directive for it, nor for the headers'
    // total size), then the sizes, by maps, so that njs reads no more than the header values.
    // Evaluated only by the route locations.
    `js_set $gateway_control_byte_flaw ${requestModule}.controlByteFlaw;`,
    ...block('map $gateway_control_byte_flaw $gateway_header_flaw', ['400 400;', 'default $gateway_header_size_flaw;']),
    // The request length (the request line and the headers as received, before any body) bounds
    // the header bytes: only a longer request has them counted, by njs.
    `js_var ${maxHeaderBytesVariable} ${maxHeaderBytes};`,
    `js_set $gateway_header_bytes_flaw ${requestModule}.headerBytesFlaw;`,
    ...block('map $request_length $gateway_header_size_flaw', [
      `"~${decimalAbovePattern(maxHeaderBytes)}" $gateway_counted_header_flaw;`,
      'default $gateway_announced_body_flaw;',
    ]),
    ...block('map $gateway_header_bytes_flaw $gateway_counted_header_flaw', ['431 431;', 'default $gateway_announced_body_flaw;']),
    // A body announced larger than accepted is refused here, before nginx's own check of it (in
    // an earlier phase) would log the client's headers; the checks above run first.
    ...block('map $content_length $gateway_announced_body_flaw', [`"~${decimalAbovePattern(maxBodyBytes)}" 413;`, 'default "";']),
    // The raw path and query are printable ASCII without `"` (RFC 3986, and what browsers send):
    // a raw 0xff or a control byte is refused here rather than passed to the API, and a quote
    // cannot end a quoted field of nginx's error log early.
    ...block(`map $request_uri ${requestFlawVariable}`, ['"~[^\\x21\\x23-\\x7e]" 400;', 'default $gateway_body_flaw;']),
    // Content-Length 0 is no body; any other length, or a Transfer-Encoding, is one.
    ...block(`map "$request_method $content_length$http_transfer_encoding" ${readWithBodyVariable}`, [
      '"~^(?:GET|HEAD|OPTIONS) (?!0?$)" 1;',
      'default 0;',
    ]),
    ...block(`map ${readWithBodyVariable} $gateway_body_flaw`, ['1 413;', 'default $gateway_host_flaw;']),
    // The headers nginx copies, in quotes, into each error-log line of a request (Host, Referer)
    // hold printable ASCII without a space, `"` or `\` (all a host name or a URL needs), so
    // that a value cannot end its quoted field early and forge another. Checked here rather than
    // by njs, where reading the two headers cost about 6k instructions per request (callgrind).
    // Since nginx 1.23 $http_referer joins repeated lines with ", ": two Referers are refused.
    ...block('map $http_host $gateway_host_flaw', [`"~${errorLogUnsafeByte}" 400;`, 'default $gateway_referer_flaw;']),
    ...block('map $http_referer $gateway_referer_flaw', [`"~${errorLogUnsafeByte}" 400;`, 'default $gateway_header_flaw;']),
    // Before any answer `$status` is 000, or 009 for an HTTP/0.9 request line (nginx's own marker).
    ...block(`map $status ${http09Variable}`, ['009 1;', 'default 0;']),
  ];
}

/** `rewrite` to an internal location, ending the rewrite phase of this one. */
export const redirectTo = (uri: string): string => `rewrite ^ ${uri} last;`;

/**
 * Lines of an internal location that hands the request, once the limits have counted it, to
 * `target` (a named location, or `=<status>` to answer with that status and no body). Its one
 * file to try is the configuration folder, a directory, which is never taken for a file.
 */
export function handOnAfterLimits(configDir: string, target: string): string[] {
  return ['internal;', `root ${configDir};`, `try_files "" ${target};`];
}

/** The first lines of a route location: malformed headers or path, or a read's body, are refused here. */
export function requestCheckLines(): string[] {
  return requestFlawStatuses.map((status) => `if (${requestFlawVariable} = ${status}) { return ${status}; }`);
}

/** A status-port location's check that its GET or HEAD carries no body. No limits apply there. */
export function statusBodyCheckLines(): string[] {
  return [`if (${readWithBodyVariable}) { return 413; }`];
}

/** Sends an OPTIONS request to the preflight answer (204, headers from the CORS maps). */
export const preflightLine = (): string => redirectTo(preflightUri);

/**
 * Lines of both servers: HTTP/0.9 requests are closed without a response (444), since an answer
 * could carry none of the gateway's headers; and the locations answering preflights and that.
 */
export function answerServerLines(configDir: string): string[] {
  return [
    `if (${http09Variable}) { ${redirectTo(closeUri)} }`,
    ...block(`location = ${preflightUri}`, handOnAfterLimits(configDir, '=204')),
    ...block(`location = ${closeUri}`, handOnAfterLimits(configDir, '=444')),
  ];
}
