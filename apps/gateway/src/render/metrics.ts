import { stubStatusPath } from '../platform.js';
import type { NginxPlatform } from '../types.js';
import { routeVariable } from './access-log.js';
import { block } from './nginx-text.js';

/**
 * Prometheus metrics, served by nginx itself on the status port (njs `serve`). Which set is
 * decided here, from the platform, when the configuration is rendered:
 * - `full` where njs is 0.8.8 or newer (the gateway image, the rehearsal): per-route requests,
 *   responses, latency histograms, retries and connect failures, plus nginx's connection
 *   counters;
 * - `connections` elsewhere (Debian 12's njs 0.7.9, `npm run local`): nginx's connection and
 *   request counters and the requests in flight only.
 */
export type MetricsSet = 'full' | 'connections';

/** Both halves: `serve` (the status port's `/metrics`) and `fold` (counts the metrics log). */
export const metricsScriptFile = 'gateway-metrics.js';

export function metricsSet(platform: Pick<NginxPlatform, 'fullMetrics'>): MetricsSet {
  return platform.fullMetrics ? 'full' : 'connections';
}

/**
 * Counters of a few hundred keys (routes x codes x buckets); 1 MB is nginx's smallest practical
 * zone and holds thousands. The name is the one the script reads.
 */
const zone = 'zone=gateway_metrics:1m type=number';

const logFormat = 'gateway_metrics';

/**
 * One line per public request, what the fold (countLine in gateway-metrics.js) counts it by: the
 * route, status, request time, and the upstream times, statuses and connect times (a value per
 * try). `|` between them, which none of them contains.
 */
const logFields = [routeVariable, '$status', '$request_time', '$upstream_response_time', '$upstream_status', '$upstream_connect_time'];

/**
 * How often the fold runs, and how long nginx may keep a line in its log buffer. A quarter of a
 * second: each fold then holds the worker for about 3 ms under this machine's full load (15k
 * requests a second), where folding once a second held it for 10 ms and added 2 ms to the p99
 * latency at 100 connections.
 */
const foldInterval = '250ms';

/**
 * Seconds a request may take to appear in the metrics, with a margin: its line is written within
 * a fold interval, the next fold moves the log aside, and the first fold a second or more after
 * that (gateway-metrics.js's graceMs, for the workers to reopen the log) counts it, which may be
 * one interval later as the folds drift: 1.75 s at most.
 */
export const metricsLagSeconds = 3;

/** The log nginx writes for the fold, in the writable run folder (an emptyDir in the pod). */
function metricsLog(runDir: string): string {
  return `${runDir}/metrics.log`;
}

/** http-level lines of the full set: the shared counters. */
export function metricsHttpLines(set: MetricsSet): string[] {
  return set === 'full' ? [`js_shared_dict_zone ${zone};`] : [];
}

/**
 * The log the metrics are counted from, beside the JSON access log at http level; the status
 * server turns both off, so scrapes and probes are not counted. Buffered, so nginx writes it
 * once per 64 kB or fold interval rather than once per request: the per-request cost is
 * formatting a line of about 35 bytes, where counting each request in njs cost 5 µs of nginx's
 * CPU.
 */
export function metricsLogLines(set: MetricsSet, runDir: string): string[] {
  if (set !== 'full') return [];
  return [
    `log_format ${logFormat} '${logFields.join('|')}';`,
    `access_log ${metricsLog(runDir)} ${logFormat} buffer=64k flush=${foldInterval};`,
  ];
}

/**
 * The status server's metrics lines: `location = <metricsPath>` (after the status server's method
 * checks) and, for the full set, the named location whose js_periodic folds the log every
 * foldInterval (in one worker, the first).
 */
export function metricsStatusLines(
  metricsPath: string,
  set: MetricsSet,
  methodChecks: readonly string[],
  platform: Pick<NginxPlatform, 'configDir' | 'runDir'>,
): string[] {
  return [
    `js_import gateway_metrics from ${platform.configDir}/${metricsScriptFile};`,
    ...block(`location = ${metricsPath}`, [
      ...methodChecks,
      `set $gateway_metrics_set ${set};`,
      `set $gateway_stub_status_uri ${stubStatusPath};`,
      'js_content gateway_metrics.serve;',
    ]),
    ...(set === 'full'
      ? block('location @gateway_metrics_fold', [
          // js_var, not set: a periodic runs no rewrite phase, where `set` assigns.
          `js_var $gateway_metrics_log ${metricsLog(platform.runDir)};`,
          `js_periodic gateway_metrics.fold interval=${foldInterval};`,
        ])
      : []),
  ];
}
