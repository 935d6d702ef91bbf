/*
 * Everything njs does for a request of the public server, in one module:
 * - headerFlaw (js_set, rewrite phase): refuses header bytes nginx would pass on;
 * - answer (js_content): the answers the gateway gives itself (its JSON errors, CORS preflights,
 *   closing an HTTP/0.9 request), given in the content phase: nginx's `return` answers in the
 *   rewrite phase, before the per-client limits (limit_req, limit_conn) of the preaccess phase,
 *   so a request answered with it never counted. Reached by an internal redirect, an answer
 *   counts like any request.
 *
 * One module because njs runs the top-level code of every module imported where a request is
 * handled, in that request's freshly cloned VM: each further module imported at http level costs
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

/** Status and body come from the location: `$gateway_answer_status`, `$gateway_answer_body`. */
function answer(r) {
  var status = Number(r.variables.gateway_answer_status);
  var body = r.variables.gateway_answer_body;
  if (body) {
    r.return(status, body);
  } else {
    // 204, and 444: nginx closes the connection without a response.
    r.return(status);
  }
}

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

export default { answer: answer, headerFlaw: headerFlaw };
