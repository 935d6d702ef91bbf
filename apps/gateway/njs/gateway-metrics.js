/*
 * Prometheus metrics of the gateway, served on its status port (`serve`, a js_content).
 *
 * Two sets, chosen when the configuration is rendered (by the platform's njs), never here:
 * - connections: nginx's own stub_status counters, under the names of nginx-prometheus-exporter;
 *   any njs serves these.
 * - full (njs >= 0.8, `js_shared_dict_zone`): also per-route requests, responses and latency,
 *   which gateway-request.js (`record`) counts on each request.
 *
 * Written for njs 0.7.9 (Debian 12) as well as newer njs: the file is loaded by both, so no
 * syntax that 0.7.9 refuses; the shared dictionary is touched only by the full set.
 */

/**
 * Upper bounds (seconds) of the latency buckets, from a cached read to the retry budget: the
 * `le` labels of bucket indexes 0 to 10, as gateway-request.js's bucketOf numbers them (11 is
 * +Inf). A test holds the two to each other.
 */
var bucketBounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The dictionary's name, as the renderer declares it with js_shared_dict_zone. */
var zoneName = 'gateway_metrics';

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

/** Counts by route and bucket index, from the count keys' request or upstream bucket. */
function histogramLines(lines, name, help, buckets, sums) {
  var routes = Object.keys(buckets);
  if (routes.length === 0) return;
  family(lines, name, 'histogram', help);
  routes.forEach(function (route) {
    var cumulative = 0;
    for (var i = 0; i <= bucketBounds.length; i++) {
      cumulative += buckets[route][i] || 0;
      lines.push(line(name + '_bucket', { route: route, le: i < bucketBounds.length ? String(bucketBounds[i]) : '+Inf' }, cumulative));
    }
    lines.push(line(name + '_sum', { route: route }, ((sums[route] || 0) / 1000).toFixed(3)));
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

function add(table, route, key, count) {
  var byKey = table[route] || (table[route] = {});
  byKey[key] = (byKey[key] || 0) + count;
}

function routeLines(dict) {
  var responses = {};
  var requestBuckets = {};
  var upstreamBuckets = {};
  var requests = {};
  var perRoute = { req_ms: {}, up_ms: {}, retries: {}, connect_failures: {} };
  dict.items(4096).forEach(function (item) {
    var parts = item[0].split(' ');
    var count = item[1];
    if (parts[0] !== 'n') {
      perRoute[parts[0]][parts[1]] = count;
      return;
    }
    // n <route> <status_class> <code> <request bucket> <upstream bucket>
    var route = parts[1];
    add(responses, route, parts[2] + ' ' + parts[3], count);
    add(requestBuckets, route, parts[4], count);
    if (parts[5] !== '-') add(upstreamBuckets, route, parts[5], count);
    requests[route] = (requests[route] || 0) + count;
  });
  var lines = [];
  family(lines, 'gateway_responses_total', 'counter', 'Responses by route and status class; the gateway\'s own answers (route gateway) also by code.');
  Object.keys(responses).forEach(function (route) {
    Object.keys(responses[route]).forEach(function (classAndCode) {
      var parts = classAndCode.split(' ');
      lines.push(line('gateway_responses_total', { route: route, status_class: parts[0], code: parts[1] }, responses[route][classAndCode]));
    });
  });
  // Every request is counted once, when it is answered: the total is the responses' sum.
  counterLines(lines, 'gateway_requests_total', 'Requests by route, counted when answered.', Object.keys(requests), requests);
  histogramLines(lines, 'gateway_request_duration_seconds', 'Time from the first byte of the request to the last of the response.', requestBuckets, perRoute.req_ms);
  histogramLines(lines, 'gateway_upstream_duration_seconds', 'Time spent waiting on backends, summed over the tries of a request.', upstreamBuckets, perRoute.up_ms);
  // Routes that reached a backend, each with a count even before its first retry or failure.
  var proxied = Object.keys(upstreamBuckets);
  counterLines(lines, 'gateway_upstream_retries_total', 'Tries beyond the first, on another backend.', proxied, perRoute.retries);
  counterLines(lines, 'gateway_upstream_connect_failures_total', 'Tries that never connected to a backend (refused, timed out, none alive).', proxied, perRoute.connect_failures);
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

export default { serve: serve };
