import { stubStatusPath } from '../platform.js';
import type { NginxPlatform } from '../types.js';
import { requestModule } from './answers.js';
import { block } from './nginx-text.js';

/**
 * Prometheus metrics, served by nginx itself on the status port (njs `serve`). Which set is
 * decided here, from the platform, when the configuration is rendered:
 * - `full` where njs has shared dictionaries (njs >= 0.8: the gateway image, the rehearsal):
 *   per-route requests, responses, latency histograms, retries and connect failures, plus
 *   nginx's connection counters;
 * - `connections` elsewhere (Debian 12's njs 0.7.9, `npm run local`): nginx's connection and
 *   request counters and the requests in flight only.
 */
export type MetricsSet = 'full' | 'connections';

/**
 * The serving half (the status port's `/metrics`). The recording half is `record` in the
 * request module (answers.ts), which every public request already runs.
 */
export const metricsScriptFile = 'gateway-metrics.js';

export function metricsSet(platform: Pick<NginxPlatform, 'njsSharedDictionaries'>): MetricsSet {
  return platform.njsSharedDictionaries ? 'full' : 'connections';
}

/**
 * Counters of a few hundred keys (routes x codes x buckets); 1 MB is nginx's smallest practical
 * zone and holds thousands. The name is the one the script reads.
 */
const zone = 'zone=gateway_metrics:1m type=number';

/** Evaluated once per request, in the log phase, by the access_log below. */
const recordVariable = '$gateway_metrics_record';

/**
 * http-level lines of the full set: the shared counters and the hook, the request module's
 * `record`. The serving half is imported only in the metrics location: njs runs the top-level
 * code of every module imported where a request is handled in that request's VM, so importing it
 * at http level cost every public request about 10k instructions (callgrind, nginx 1.22).
 */
export function metricsHttpLines(set: MetricsSet): string[] {
  return set === 'full' ? [`js_shared_dict_zone ${zone};`, `js_set ${recordVariable} ${requestModule}.record;`] : [];
}

/**
 * The hook that counts each request: an access log whose `if=` condition is the recording
 * function, which always answers '' so the log never writes (no I/O per request). Lives beside
 * the JSON access log at http level; the status server turns both off, so scrapes and probes
 * are not counted.
 */
export function metricsLogLines(set: MetricsSet): string[] {
  return set === 'full' ? [`access_log /dev/null combined if=${recordVariable};`] : [];
}

/** The status server's `location = <metricsPath>`, after the status server's method checks. */
export function metricsLocation(metricsPath: string, set: MetricsSet, methodChecks: readonly string[], configDir: string): string[] {
  return block(`location = ${metricsPath}`, [
    ...methodChecks,
    `js_import gateway_metrics from ${configDir}/${metricsScriptFile};`,
    `set $gateway_metrics_set ${set};`,
    `set $gateway_stub_status_uri ${stubStatusPath};`,
    'js_content gateway_metrics.serve;',
  ]);
}
