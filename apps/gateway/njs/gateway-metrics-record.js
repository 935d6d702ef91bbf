/*
 * The recording half of the gateway's metrics (`record`), imported at http level only for the
 * full set (njs >= 0.8, `js_shared_dict_zone`): it runs once per request in the log phase, as
 * the `if=` condition of an access_log that never writes, and adds to counters in a dictionary
 * shared by all workers. gateway-metrics.js serves them.
 *
 * Apart from the serving half because njs (the njs engine, 0.7.9 to 1.0) runs the top-level
 * code of every module imported where a request is handled in that request's VM: the serving
 * code's functions cost each request 3.7k instructions more (callgrind, njs 1.0).
 *
 * Written for njs 0.7.9 (Debian 12) as well as newer njs: gateway-metrics.js imports it on both
 * for the bounds and the zone's name, so no syntax that 0.7.9 refuses.
 */

/** Upper bounds (seconds) of the latency buckets: from a cached read to the retry budget. */
var bucketBounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
var bucketCount = bucketBounds.length;

/** The dictionary's name, as the renderer declares it with js_shared_dict_zone. */
var zoneName = 'gateway_metrics';

/*
 * Keys of the dictionary (numbers). Each request adds to three at most, since every increment
 * takes the zone's lock: one count that carries all its labels and both its buckets, and the
 * two duration sums (whole milliseconds, nginx's resolution):
 *   n <route> <status_class> <code> <request bucket> <upstream bucket or ->
 *                                       (code only on the gateway's own answers)
 *   req_ms <route>, up_ms <route>
 * and, only when they happen: retries <route>, connect_failures <route>.
 */

/** The summed time of a request's tries: `0.002`, or `5.001, 0.002` (` : ` between groups). */
function totalSeconds(times) {
  if (times.indexOf(',') < 0 && times.indexOf(':') < 0) return Number(times) || 0;
  return times.split(/[,:]/).reduce(function (sum, time) {
    return sum + (Number(time) || 0);
  }, 0);
}

/** Retries and tries that never connected (refused, timed out, no live backend: no connect time). */
function recordFailures(dict, r, route, upstreamStatus) {
  var tries = upstreamStatus.split(/[,:]/).length;
  if (tries > 1) dict.incr('retries ' + route, tries - 1, 0);
  var failed = r.variables.upstream_connect_time.split(/[,:]/).filter(function (time) {
    return time.trim() === '-';
  }).length;
  if (failed > 0) dict.incr('connect_failures ' + route, failed, 0);
}

/**
 * Log phase, once per request of the public server. Returns '' so that its access_log never
 * writes a line: the metrics cost no I/O.
 *
 * Written for njs's interpreter, which runs this on every request: operators rather than calls
 * (`+text` for Number, `'' + n` for String, `| 0` for Math.round, `[0]` for charAt, the bucket
 * loops inline). Each call to a helper or a built-in costs njs a frame and, in a request's
 * freshly cloned VM, a copy of the built-in's properties: this form runs 12k fewer instructions
 * per request than one with helpers (callgrind, njs 1.0), a quarter of what the metrics cost.
 */
function record(r) {
  var dict = ngx.shared[zoneName];
  var v = r.variables;
  var status = '' + r.status;
  var upstreamStatus = v.upstream_status;
  var requestSeconds = +v.request_time;
  var requestBucket = 0;
  while (requestBucket < bucketCount && requestSeconds > bucketBounds[requestBucket]) requestBucket++;
  // The gateway's own answer when no backend was asked (401, 405, 413, 429, a preflight's 204):
  // counted as route `gateway` with its code, whichever location refused it.
  if (!upstreamStatus) {
    dict.incr('n gateway ' + status[0] + 'xx ' + status + ' ' + requestBucket + ' -', 1, 0);
    dict.incr('req_ms gateway', (requestSeconds * 1000 + 0.5) | 0, 0);
    return '';
  }
  var route = v.gateway_route;
  var upstreamTimes = v.upstream_response_time;
  var upstreamSeconds = +upstreamTimes;
  // More than one try (`5.001, 0.002`) is no number (NaN, the only value unequal to itself).
  if (upstreamSeconds !== upstreamSeconds) upstreamSeconds = totalSeconds(upstreamTimes);
  var upstreamBucket = 0;
  while (upstreamBucket < bucketCount && upstreamSeconds > bucketBounds[upstreamBucket]) upstreamBucket++;
  dict.incr('n ' + route + ' ' + status[0] + 'xx  ' + requestBucket + ' ' + upstreamBucket, 1, 0);
  dict.incr('req_ms ' + route, (requestSeconds * 1000 + 0.5) | 0, 0);
  dict.incr('up_ms ' + route, (upstreamSeconds * 1000 + 0.5) | 0, 0);
  // Only a retried or failed request can hold a try that never connected: 200 needs no look.
  if (upstreamStatus.length > 3 || upstreamStatus[0] === '5') recordFailures(dict, r, route, upstreamStatus);
  return '';
}

export default { record: record, bucketBounds: bucketBounds, zoneName: zoneName };
