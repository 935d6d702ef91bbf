/*
 * What njs checks of a public request (headerFlaw, a js_set evaluated in the rewrite phase of
 * the route locations): the header bytes nginx would pass on. The gateway's answers themselves
 * are given by nginx (answers.ts says why not njs).
 *
 * The only module imported at http level: njs runs the top-level code of every module imported
 * where a request is handled, in that request's freshly cloned VM, so each further one costs
 * every request about 2.3k instructions (callgrind, njs 1.0). The metrics run no njs per request
 * (gateway-metrics.js counts nginx's log of them).
 *
 * Written for njs 0.7.9 (Debian 12) as well as the newer njs of the official nginx images.
 */

/**
 * Largest total of request header lines (names, values, `: ` and CRLF) the gateway passes on.
 * nginx itself only limits each line (large_client_header_buffers), so 4 lines of 7 kB would go
 * through; the books API (Node) would then refuse them with its own 431.
 */
var maxHeaderBytes = 8192;

/** Control bytes other than tab (RFC 9110 §5.5); nginx refuses NUL, CR and LF itself. */
var controlByte = /[\x00-\x08\x0a-\x1f\x7f]/;

/** For js_set: '' when the headers may pass, else the refusal's status (400 or 431). */
function headerFlaw(r) {
  var headers = r.rawHeadersIn;
  var total = 0;
  for (var i = 0; i < headers.length; i++) {
    if (controlByte.test(headers[i][1])) return '400';
    total += headers[i][0].length + headers[i][1].length + 4;
  }
  return total > maxHeaderBytes ? '431' : '';
}

export default { headerFlaw: headerFlaw };
