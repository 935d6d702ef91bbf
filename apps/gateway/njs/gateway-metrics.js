/*
 * Prometheus metrics of the gateway, served on its status port (`serve`, a js_content).
 *
 * Two sets, chosen when the configuration is rendered (by the platform's njs), never here:
 * - connections: nginx's own stub_status counters, under the names of nginx-prometheus-exporter;
 *   any njs serves these.
 * - full (njs >= 0.8.8: js_shared_dict_zone, js_periodic, process.kill): also per-route
 *   requests, responses and latency. No njs runs per request for them: nginx writes one short
 *   line per public request into a buffered log, and `fold` (a js_periodic, 4 times a second)
 *   counts those lines into the shared dictionary that `serve` reads.
 *
 * Written for njs 0.7.9 (Debian 12) as well as newer njs: the file is loaded by both, so no
 * syntax that 0.7.9 refuses; the shared dictionary, the log and `process.kill` are touched only
 * by the full set.
 */
import fs from 'fs';

/**
 * Upper bounds (seconds) of the latency buckets, from a cached read to the retry budget: the
 * `le` labels of bucket indexes 0 to 10 (11 is +Inf).
 */
var bucketBounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The dictionary's name, as the renderer declares it with js_shared_dict_zone. */
var zoneName = 'gateway_metrics';

/*
 * The fold's own counters, beside the requests' keys (which start with a letter):
 * - folds: each fold is a request nginx creates for the js_periodic, which its stub_status counts
 *   among the requests it read; `serve` takes them back out;
 * - lines skipped: a line that is not the renderer's format (a write cut short);
 * - fold errors: a fold that failed (it logs why), so its lines may be missing.
 */
var internal = { folds: '_folds', skippedLines: '_skipped_lines', foldErrors: '_fold_errors' };

/**
 * How long a moved log waits before it is counted. The master reopens the log before it signals
 * the workers, so a new log proves nothing about them: a worker still writing into the moved
 * file must have handled its reopen (and written out its buffer) within this time.
 */
var graceMs = 1000;

/** The index of the first bucket whose upper bound holds `seconds`; bucketBounds.length past the last. */
function bucketOf(seconds) {
  var i = 0;
  while (i < bucketBounds.length && seconds > bucketBounds[i]) i++;
  return String(i);
}

/** Whole milliseconds, nginx's resolution, so the sums add up exactly. */
function milliseconds(seconds) {
  return (seconds * 1000 + 0.5) | 0;
}

function add(totals, key, count) {
  totals[key] = (totals[key] || 0) + count;
}

/*
 * Adds `count` requests logged as `line` to `totals`, under the dictionary's keys:
 *   n <route> <status_class> <code> <request bucket> <upstream bucket or ->
 *                                       (code only on the gateway's own answers)
 *   req_ms <route>, up_ms <route>       (duration sums, whole milliseconds)
 *   retries <route>, connect_failures <route>
 * A line is the renderer's log format: route|status|request time|upstream times|upstream
 * statuses|upstream connect times, nginx's `-` for a variable without value.
 */
function countLine(totals, line, count) {
  var fields = line.split('|');
  if (fields.length !== 6) {
    add(totals, internal.skippedLines, count);
    return;
  }
  var status = fields[1];
  var statusClass = status.charAt(0) + 'xx';
  var requestSeconds = +fields[2];
  // No upstream time when no backend was asked: the gateway's own answer (401, 405, 413, 429, a
  // preflight's 204), counted as route `gateway` with its code, whichever location gave it.
  if (fields[3] === '-') {
    add(totals, 'n gateway ' + statusClass + ' ' + status + ' ' + bucketOf(requestSeconds) + ' -', count);
    add(totals, 'req_ms gateway', milliseconds(requestSeconds) * count);
    return;
  }
  var route = fields[0];
  // One time per try (`5.001, 0.002`, ` : ` between upstream groups): summed.
  var upstreamSeconds = fields[3].split(/[,:]/).reduce(function (sum, time) {
    return sum + (Number(time) || 0);
  }, 0);
  add(totals, 'n ' + route + ' ' + statusClass + '  ' + bucketOf(requestSeconds) + ' ' + bucketOf(upstreamSeconds), count);
  add(totals, 'req_ms ' + route, milliseconds(requestSeconds) * count);
  add(totals, 'up_ms ' + route, milliseconds(upstreamSeconds) * count);
  var retries = fields[4].split(/[,:]/).length - 1;
  if (retries > 0) add(totals, 'retries ' + route, retries * count);
  // A try that never connected (refused, timed out, no live backend) has no connect time.
  var failed = fields[5].split(/[,:]/).filter(function (time) {
    return time.trim() === '-';
  }).length;
  if (failed > 0) add(totals, 'connect_failures ' + route, failed * count);
}

/**
 * Counts the lines of `text` into the dictionary. Requests repeat: under load a fold's
 * thousands of lines are a few dozen distinct ones (the same route, status and milliseconds), so
 * each distinct line is parsed once, and each key is incremented once, for all its requests.
 */
function countLog(dict, text) {
  var seen = {};
  text.split('\n').forEach(function (line) {
    if (line) seen[line] = (seen[line] || 0) + 1;
  });
  var totals = {};
  Object.keys(seen).forEach(function (line) {
    countLine(totals, line, seen[line]);
  });
  Object.keys(totals).forEach(function (key) {
    dict.incr(key, totals[key], 0);
  });
}

/** Moves `path` away under a name of its own (rename is atomic), reads it and removes it; '' if another fold took it first. */
function take(path) {
  var claimed = path + '.' + process.pid + '.claimed';
  try {
    fs.renameSync(path, claimed);
  } catch (e) {
    return '';
  }
  try {
    return fs.readFileSync(claimed, 'utf8');
  } finally {
    fs.unlinkSync(claimed);
  }
}

/** Moves the log (which exists) aside as `<log>.<ms>-<pid>` and has nginx reopen it (SIGUSR1 to the master, as `nginx -s reopen`). */
function rotate(log, now) {
  if (fs.statSync(log).size === 0) return;
  var moved = log + '.' + now + '-' + process.pid;
  try {
    fs.renameSync(log, moved);
  } catch (e) {
    // Another fold moved it first (two run for a moment while nginx reloads).
    return;
  }
  try {
    process.kill(process.ppid, 'SIGUSR1');
  } catch (e) {
    // Left moved, it would grow unseen: the workers write on into it.
    fs.renameSync(moved, log);
    throw e;
  }
}

/*
 * js_periodic, every fold interval (foldInterval in the renderer's metrics.ts, 250 ms), in one
 * worker. nginx appends a line per public request to `$gateway_metrics_log`, buffered: written
 * within an interval. Each fold counts the moved logs older than graceMs, then moves the log
 * aside and has nginx reopen it: every worker writes its buffer to the moved file and goes on in
 * a new log. So a request is counted once, within graceMs and three intervals of its answer, with
 * any number of workers, and the files hold about a second of lines.
 *
 * Nothing is counted twice: a moved log is claimed by a rename (one fold wins, should an old and
 * a new worker both fold during a reload) and removed before its lines are added. Moved logs left
 * by an nginx that stopped (the emptyDir outlives a container) are counted by the next: their
 * requests were never counted.
 */
function fold(s) {
  var dict = ngx.shared[zoneName];
  dict.incr(internal.folds, 1, 0);
  try {
    var log = s.variables.gateway_metrics_log;
    var folder = log.slice(0, log.lastIndexOf('/'));
    var movedName = new RegExp('^' + log.slice(folder.length + 1).replace(/\./g, '\\.') + '\\.(\\d+)-\\d+$');
    var now = Date.now();
    // Nothing until nginx has made the log anew: until then the workers surely write to a moved one.
    if (!fs.existsSync(log)) return;
    fs.readdirSync(folder).forEach(function (name) {
      var moved = movedName.exec(name);
      if (moved && now - Number(moved[1]) >= graceMs) countLog(dict, take(folder + '/' + name));
    });
    rotate(log, now);
  } catch (e) {
    dict.incr(internal.foldErrors, 1, 0);
    ngx.log(ngx.ERR, 'metrics fold failed: ' + e);
  }
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

/**
 * nginx's stub_status page, parsed into the exporter's metrics; `folds` of its requests were
 * nginx's own (js_periodic), not a client's.
 */
function connectionLines(stubStatus, folds) {
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
  family(lines, 'nginx_http_requests_total', 'counter', 'Requests clients sent, on both ports.');
  lines.push('nginx_http_requests_total ' + (numbers[3] - folds));
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

function addByRoute(table, route, key, count) {
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
    if (item[0].charAt(0) === '_') return;
    var parts = item[0].split(' ');
    var count = item[1];
    if (parts[0] !== 'n') {
      perRoute[parts[0]][parts[1]] = count;
      return;
    }
    // n <route> <status_class> <code> <request bucket> <upstream bucket>
    var route = parts[1];
    addByRoute(responses, route, parts[2] + ' ' + parts[3], count);
    addByRoute(requestBuckets, route, parts[4], count);
    if (parts[5] !== '-') addByRoute(upstreamBuckets, route, parts[5], count);
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

/** The fold's health: lines it could not read and folds that failed, both 0 when all is well. */
function foldLines(dict) {
  var lines = [];
  family(lines, 'gateway_metrics_skipped_lines_total', 'counter', 'Lines of the metrics log that were not its format, so not counted.');
  lines.push('gateway_metrics_skipped_lines_total ' + (dict.get(internal.skippedLines) || 0));
  family(lines, 'gateway_metrics_fold_errors_total', 'counter', 'Counting runs of the metrics log that failed (the error log says why); their requests may be missing.');
  lines.push('gateway_metrics_fold_errors_total ' + (dict.get(internal.foldErrors) || 0));
  return lines;
}

/** The metrics page: `$gateway_metrics_set` (set by the renderer) says which set this nginx serves. */
async function serve(r) {
  var full = r.variables.gateway_metrics_set === 'full';
  var status = await r.subrequest(r.variables.gateway_stub_status_uri);
  var lines;
  if (full) {
    var dict = ngx.shared[zoneName];
    // Read after the status page: a fold between the two is then taken out once too often, never
    // left in, which would make the total drop on the next scrape (a counter reset to Prometheus).
    lines = connectionLines(status.responseText, dict.get(internal.folds) || 0).concat(routeLines(dict), foldLines(dict));
  } else {
    lines = connectionLines(status.responseText, 0);
  }
  r.headersOut['Content-Type'] = 'text/plain; version=0.0.4; charset=utf-8';
  r.return(200, lines.join('\n') + '\n');
}

export default { serve: serve, fold: fold };
