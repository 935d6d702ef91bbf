/*
 * What njs checks of a public request (headerFlaw, a js_set evaluated in the rewrite phase of
 * the route locations): the header bytes nginx would pass on, and the size of what it
 * announces. The gateway's answers themselves are given by nginx (answers.ts says why not njs).
 *
 * The only module imported at http level: njs runs the top-level code of every module imported
 * where a request is handled, in that request's freshly cloned VM, so each further one costs
 * every request about 2.3k instructions (callgrind, njs 1.0). The metrics run no njs per request
 * (gateway-metrics.js counts nginx's log of them).
 *
 * Written for njs 0.7.9 (Debian 12) as well as the newer njs of the official nginx images.
 */

/**
 * Largest total of request header lines (names, values, separators and line ends) the gateway
 * passes on, in bytes. nginx itself only limits each line (large_client_header_buffers), so 4
 * lines of 7 kB would go through; the books API (Node) would then refuse them with its own 431.
 */
var maxHeaderBytes = 8192;

/** Control bytes other than tab (RFC 9110 §5.5); nginx refuses NUL, CR and LF itself. */
var controlByte = /[\x00-\x08\x0a-\x1f\x7f]/;

/** The request line and its line end, and the empty line ending the headers (CRLF each). */
var lineEndBytes = 4;

/**
 * The bytes of the header lines as the client sent them. nginx's request length, before a body
 * is read, is the request line and the headers as received; njs's header strings cannot say it
 * (njs 0.8 and later measure them in characters, and replace invalid UTF-8).
 */
function headerBytes(r) {
  return Number(r.variables.request_length) - r.rawVariables.request.length - lineEndBytes;
}

/**
 * For js_set: '' when the request may pass, else the status it is refused with: 400 (a control
 * byte), 431 (headers over maxHeaderBytes) or 413 (a Content-Length above the largest body
 * accepted, `$gateway_max_body_bytes`). Host and Referer are checked by nginx (answers.ts).
 */
function headerFlaw(r) {
  // One regex over every value at once: a test per header costs more than the concatenation
  // (callgrind, njs 1.0: 97k instructions per GET /books against 107k).
  var headers = r.rawHeadersIn;
  var values = '';
  for (var i = 0; i < headers.length; i++) values += headers[i][1];
  if (controlByte.test(values)) return '400';
  // The request length bounds the header bytes: only a request longer than the limit needs them
  // counted (headerBytes makes a copy of the request line).
  if (Number(r.variables.request_length) > maxHeaderBytes && headerBytes(r) > maxHeaderBytes) return '431';
  var announced = r.variables.content_length;
  return announced && Number(announced) > Number(r.variables.gateway_max_body_bytes) ? '413' : '';
}

export default { headerFlaw: headerFlaw };
