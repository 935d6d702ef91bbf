/*
 * Everything njs does for a request of the public server, in one module:
 * - headerFlaw (js_set, rewrite phase): refuses header bytes nginx would pass on;
 * - answer (js_content): the answers the gateway gives itself (its JSON errors, CORS preflights,
 *   closing an HTTP/0.9 request), given in the content phase: nginx's `return` answers in the
 *   rewrite phase, before the per-client limits (limit_req, limit_conn) of the preaccess phase,
 *   so a request answered with it never counted. Reached by an internal redirect, an answer
 *   counts like any request;
 * - record (js_set, log phase, only where the full set of metrics is served): counts the
 *   request in the shared dictionary that gateway-metrics.js serves on the status port.
 *
 * One module because njs runs the top-level code of every module imported where a request is
 * handled, in that request's freshly cloned VM: a second module imported at http level cost
 * every request 2.3k instructions more (callgrind, njs 1.0), a tenth of what recording costs.
 *
 * Written for njs 0.7.9 (Debian 12) as well as the newer njs of the official nginx images:
 * record is only called where njs has shared dictionaries (0.8 or newer), but 0.7.9 parses it.
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

/*
 * The request's latency bucket: the index of the first upper bound of gateway-metrics.js's
 * bucketBounds (5 ms ... 10 s) that holds `seconds`, 11 past the last. As comparisons, not a
 * loop over that array: an array built in each request's VM and a loop of njs operations cost
 * 2.5k instructions more per request than these four or five comparisons.
 */
function bucketOf(seconds) {
  if (seconds <= 0.1) return seconds <= 0.01 ? (seconds <= 0.005 ? '0' : '1') : seconds <= 0.025 ? '2' : seconds <= 0.05 ? '3' : '4';
  if (seconds <= 1) return seconds <= 0.25 ? '5' : seconds <= 0.5 ? '6' : '7';
  return seconds <= 2.5 ? '8' : seconds <= 5 ? '9' : seconds <= 10 ? '10' : '11';
}

/*
 * Log phase, once per request of the public server, as the `if=` condition of an access_log:
 * returns '' so that the log never writes a line, and the metrics cost no I/O.
 *
 * Each request adds to three keys of the dictionary (numbers), since every increment takes the
 * zone's lock: one count that carries all its labels and both its buckets, and the two duration
 * sums (whole milliseconds, nginx's resolution):
 *   n <route> <status_class> <code> <request bucket> <upstream bucket or ->
 *                                       (code only on the gateway's own answers)
 *   req_ms <route>, up_ms <route>
 * and, only when they happen: retries <route>, connect_failures <route>.
 *
 * Written for the njs interpreter, which runs it on every request, where reading an nginx
 * variable costs about 1.5k instructions and each operation hundreds: three variables (the
 * upstream status only when a request failed or was retried), plain `+` for numbers and strings,
 * one helper.
 * The dictionary is the one the renderer declares: js_shared_dict_zone zone=gateway_metrics.
 */
function record(r) {
  var v = r.variables;
  var dict = ngx.shared.gateway_metrics;
  var status = r.status;
  var statusClass = ((status / 100) | 0) + 'xx';
  var requestSeconds = +v.request_time;
  // Empty when no backend was asked: the gateway's own answer (401, 405, 413, 429, a
  // preflight's 204), counted as route `gateway` with its code, whichever location gave it.
  var upstreamTimes = v.upstream_response_time;
  if (!upstreamTimes) {
    dict.incr('n gateway ' + statusClass + ' ' + status + ' ' + bucketOf(requestSeconds) + ' -', 1, 0);
    dict.incr('req_ms gateway', (requestSeconds * 1000 + 0.5) | 0, 0);
    return '';
  }
  var route = v.gateway_route;
  var upstreamSeconds = +upstreamTimes;
  // More than one try (`5.001, 0.002`, ` : ` between upstream groups) is no number (NaN, the
  // only value unequal to itself): then the tries' times are summed.
  var retried = upstreamSeconds !== upstreamSeconds;
  if (retried) {
    upstreamSeconds = upstreamTimes.split(/[,:]/).reduce(function (sum, time) {
      return sum + (Number(time) || 0);
    }, 0);
  }
  dict.incr('n ' + route + ' ' + statusClass + '  ' + bucketOf(requestSeconds) + ' ' + bucketOf(upstreamSeconds), 1, 0);
  dict.incr('req_ms ' + route, (requestSeconds * 1000 + 0.5) | 0, 0);
  dict.incr('up_ms ' + route, (upstreamSeconds * 1000 + 0.5) | 0, 0);
  // A try that never connected (refused, timed out, no live backend: no connect time) ends in a
  // 502 or 504, or in a retry: a 2xx of one try needs no look. Here rather than in helpers,
  // which njs would build in every request's VM for the few requests that use them.
  if (retried || status >= 500) {
    var tries = v.upstream_status.split(/[,:]/).length;
    if (tries > 1) dict.incr('retries ' + route, tries - 1, 0);
    var failed = v.upstream_connect_time.split(/[,:]/).filter(function (time) {
      return time.trim() === '-';
    }).length;
    if (failed > 0) dict.incr('connect_failures ' + route, failed, 0);
  }
  return '';
}

export default { answer: answer, headerFlaw: headerFlaw, record: record };
