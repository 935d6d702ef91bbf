/*
 * Prometheus metrics of the gateway, served on its status port (`serve`, a js_content).
 *
 * Two sets, chosen when the configuration is rendered (by the platform's njs), never here:
 * - connections: nginx's own stub_status counters, under the names of nginx-prometheus-exporter;
 *   any njs serves these.
 * - full (njs >= 0.8, `js_shared_dict_zone`): also per-route requests, responses and latency.
 *   `record` runs once per request in the log phase, as the `if=` condition of an access_log
 *   that never writes, and adds to counters in a dictionary shared by all workers.
 *
 * Written for njs 0.7.9 (Debian 12) as well as newer njs: the file is loaded by both, so no
 * syntax that 0.7.9 refuses; the shared dictionary is touched only by the full set.
 */

/** Upper bounds (seconds) of the latency buckets: from a cached read to the retry budget. */
var bucketBounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The dictionary's name, as the renderer declares it with js_shared_dict_zone. */
var zoneName = 'gateway_metrics';

/*
 * Keys of the dictionary (numbers; durations in whole milliseconds, nginx's resolution):
 *   resp <route> <status_class> <code>    responses (code only on the gateway's own answers)
 *   req_b <route> <bucket index>          request durations, one count per bucket (not cumulative)
 *   req_ms <route>                        sum of request durations
 *   up_b <route> <bucket index>, up_ms <route>   the same for the time spent on upstreams
 *   retries <route>, connect_failures <route>
 */

function bucketIndex(seconds) {
  for (var i = 0; i < bucketBounds.length; i++) {
    if (seconds <= bucketBounds[i]) return i;
  }
  return bucketBounds.length;
}

function observe(dict, prefix, route, seconds) {
  dict.incr(prefix + '_b ' + route + ' ' + bucketIndex(seconds), 1, 0);
  dict.incr(prefix + '_ms ' + route, Math.round(seconds * 1000), 0);
}

/**
 * Log phase, once per request of the public server. Returns '' so that its access_log never
 * writes a line: the metrics cost no I/O.
 */
function record(r) {
  var dict = ngx.shared[zoneName];
  var v = r.variables;
  var status = v.status;
  var upstreamStatus = v.upstream_status;
  // The gateway's own answer when no backend was asked (401, 405, 413, 429, a preflight's 204):
  // counted as route `gateway` with its code, whichever location refused it.
  var own = !upstreamStatus;
  var route = own ? 'gateway' : v.gateway_route;
  dict.incr('resp ' + route + ' ' + status.charAt(0) + 'xx ' + (own ? status : ''), 1, 0);
  observe(dict, 'req', route, Number(v.request_time));
  if (own) return '';
  // One entry per try: `200`, or `502, 200` after a retry (` : ` between upstream groups).
  if (upstreamStatus.indexOf(',') < 0 && upstreamStatus.indexOf(':') < 0) {
    observe(dict, 'up', route, Number(v.upstream_response_time) || 0);
    if (v.upstream_connect_time === '-') dict.incr('connect_failures ' + route, 1, 0);
    return '';
  }
  var times = v.upstream_response_time.split(/[,:]/);
  var total = 0;
  for (var i = 0; i < times.length; i++) total += Number(times[i]) || 0;
  observe(dict, 'up', route, total);
  dict.incr('retries ' + route, times.length - 1, 0);
  // A try that never connected (refused, timed out, no live backend) has no connect time.
  var failed = v.upstream_connect_time.split(/[,:]/).filter(function (time) {
    return time.trim() === '-';
  }).length;
  if (failed > 0) dict.incr('connect_failures ' + route, failed, 0);
  return '';
}

function line(name, labels, value) {
  var pairs = Object.keys(labels)
    .filter(function (key) {
      return labels[key] !== '';
    })
    .map(function (key) {
      return key + '="' + labels[key] + '"';
    });
  return name + (pairs.length > 0 ? '{' + pairs.join(',') + '}' : '') + ' ' + value;
}

function family(lines, name, type, help) {
  lines.push('# HELP ' + name + ' ' + help, '# TYPE ' + name + ' ' + type);
}

/** nginx's stub_status page, parsed into the exporter's metrics. */
function connectionLines(stubStatus) {
  var numbers = stubStatus.match(/\d+/g).map(Number);
  // Active connections: A / accepts handled requests / A H R / Reading: x Writing: y Waiting: z
  var lines = [];
  family(lines, 'nginx_up', 'gauge', 'Whether nginx answered its status page.');
  lines.push('nginx_up 1');
  var gauges = [['active', numbers[0]], ['reading', numbers[4]], ['writing', numbers[5]], ['waiting', numbers[6]]];
  var counters = [['accepted', numbers[1]], ['handled', numbers[2]]];
  gauges.forEach(function (gauge) {
    family(lines, 'nginx_connections_' + gauge[0], 'gauge', 'Client connections ' + gauge[0] + '.');
    lines.push('nginx_connections_' + gauge[0] + ' ' + gauge[1]);
  });
  counters.forEach(function (counter) {
    family(lines, 'nginx_connections_' + counter[0], 'counter', 'Client connections ' + counter[0] + '.');
    lines.push('nginx_connections_' + counter[0] + ' ' + counter[1]);
  });
  family(lines, 'nginx_http_requests_total', 'counter', 'Requests nginx read, on both ports.');
  lines.push('nginx_http_requests_total ' + numbers[3]);
  // HTTP/1.x: one request at a time per connection, so writing connections are the requests
  // being handled; minus this scrape itself.
  family(lines, 'gateway_requests_in_flight', 'gauge', 'Requests the gateway is handling now (both ports, not this scrape).');
  lines.push('gateway_requests_in_flight ' + Math.max(0, numbers[5] - 1));
  return lines;
}

function histogramLines(lines, name, help, prefix, values) {
  var routes = Object.keys(values[prefix + '_ms'] || {});
  if (routes.length === 0) return;
  family(lines, name, 'histogram', help);
  routes.forEach(function (route) {
    var buckets = (values[prefix + '_b'] || {})[route] || {};
    var cumulative = 0;
    for (var i = 0; i <= bucketBounds.length; i++) {
      cumulative += buckets[i] || 0;
      lines.push(line(name + '_bucket', { route: route, le: i < bucketBounds.length ? String(bucketBounds[i]) : '+Inf' }, cumulative));
    }
    lines.push(line(name + '_sum', { route: route }, (values[prefix + '_ms'][route] / 1000).toFixed(3)));
    lines.push(line(name + '_count', { route: route }, cumulative));
  });
}

/** One counter per route of `routes`; those missing from `counts` are 0, so rates exist. */
function counterLines(lines, name, help, routes, counts) {
  if (routes.length === 0) return;
  family(lines, name, 'counter', help);
  routes.forEach(function (route) {
    lines.push(line(name, { route: route }, counts[route] || 0));
  });
}

/** The dictionary's keys grouped: values[kind][route][rest] or values[kind][route]. */
function groupedValues(dict) {
  var values = {};
  dict.items().forEach(function (item) {
    var parts = item[0].split(' ');
    var kind = parts[0];
    var byRoute = values[kind] || (values[kind] = {});
    if (parts.length === 2) byRoute[parts[1]] = item[1];
    else {
      var rest = byRoute[parts[1]] || (byRoute[parts[1]] = {});
      rest[parts.slice(2).join(' ')] = item[1];
    }
  });
  return values;
}

function routeLines(dict) {
  var values = groupedValues(dict);
  var lines = [];
  var responses = values.resp || {};
  var requests = {};
  family(lines, 'gateway_responses_total', 'counter', 'Responses by route and status class; the gateway\'s own answers (route gateway) also by code.');
  Object.keys(responses).forEach(function (route) {
    Object.keys(responses[route]).forEach(function (classAndCode) {
      var parts = classAndCode.split(' ');
      var count = responses[route][classAndCode];
      requests[route] = (requests[route] || 0) + count;
      lines.push(line('gateway_responses_total', { route: route, status_class: parts[0], code: parts[1] }, count));
    });
  });
  // Every request is counted once, when it is answered: the total is the responses' sum.
  counterLines(lines, 'gateway_requests_total', 'Requests by route, counted when answered.', Object.keys(requests), requests);
  histogramLines(lines, 'gateway_request_duration_seconds', 'Time from the first byte of the request to the last of the response.', 'req', values);
  histogramLines(lines, 'gateway_upstream_duration_seconds', 'Time spent waiting on backends, summed over the tries of a request.', 'up', values);
  // Routes that reached a backend, each with a count even before its first retry or failure.
  var proxied = Object.keys(values.up_ms || {});
  counterLines(lines, 'gateway_upstream_retries_total', 'Tries beyond the first, on another backend.', proxied, values.retries || {});
  counterLines(lines, 'gateway_upstream_connect_failures_total', 'Tries that never connected to a backend (refused, timed out, none alive).', proxied, values.connect_failures || {});
  return lines;
}

/** The metrics page: `$gateway_metrics_set` (set by the renderer) says which set this nginx serves. */
async function serve(r) {
  var status = await r.subrequest(r.variables.gateway_stub_status_uri);
  var lines = connectionLines(status.responseText);
  if (r.variables.gateway_metrics_set === 'full') lines = lines.concat(routeLines(ngx.shared[zoneName]));
  r.headersOut['Content-Type'] = 'text/plain; version=0.0.4; charset=utf-8';
  r.return(200, lines.join('\n') + '\n');
}

export default { record: record, serve: serve };
