/*
 * What njs checks of a public request, for two js_set variables evaluated in the rewrite phase
 * of the route locations (answers.ts): control bytes in the header values, for every request,
 * and the header bytes, for a request longer than the limit only. Nginx's maps make the other
 * checks (Host, Referer, the path, the sizes), since every value njs reads costs more than a
 * map. The gateway's answers themselves are given by nginx (answers.ts says why not njs).
 *
 * The only module imported at http level: njs runs the top-level code of every module imported
 * where a request is handled, in that request's freshly cloned VM, so each further one costs
 * every request about 2.3k instructions (callgrind, njs 1.0). The metrics run no njs per request
 * (gateway-metrics.js counts nginx's log of them).
 *
 * Written for njs 0.7.9 (Debian 12) as well as the newer njs of the official nginx images.
 */

/** Control bytes other than tab (RFC 9110 §5.5); nginx refuses NUL, CR and LF itself. */
var controlByte = /[\x00-\x08\x0a-\x1f\x7f]/;

/** The request line and its line end, and the empty line ending the headers (CRLF each). */
var lineEndBytes = 4;

/** For js_set: '400' when a header value holds a control byte, else ''. */
function controlByteFlaw(r) {
  // One regex over every value at once: a test per header costs more than the concatenation
  // (callgrind, njs 1.0: 97k instructions per GET /books against 107k).
  var headers = r.rawHeadersIn;
  var values = '';
  for (var i = 0; i < headers.length; i++) values += headers[i][1];
  return controlByte.test(values) ? '400' : '';
}

/**
 * For js_set: '431' when the header lines as the client sent them exceed the limit answers.ts
 * renders (`$gateway_max_header_bytes`), else ''. nginx's request length, before a body is
 * read, is the request line and the headers as received; njs's header strings cannot say it
 * (njs 0.8 and later measure them in characters, and replace invalid UTF-8).
 */
function headerBytesFlaw(r) {
  var headerBytes = Number(r.variables.request_length) - r.rawVariables.request.length - lineEndBytes;
  return headerBytes > Number(r.variables.gateway_max_header_bytes) ? '431' : '';
}

export default { controlByteFlaw: controlByteFlaw, headerBytesFlaw: headerBytesFlaw };
