import { authVariables } from './auth.js';
import { block } from './nginx-text.js';
import { requestIdVariable } from './request-id.js';

/** Variable each route location sets, so a log line says which route served it. */
export const routeVariable = '$gateway_route';

const accessLogFormatName = 'gateway_json';

/**
 * The method the client sent, from its request line: `$request_method` becomes GET on the
 * internal redirect to an error page, so a refused DELETE would be logged as a GET.
 */
const clientMethodVariable = '$gateway_client_method';

/** Bytes kept of each field a client chooses freely (URI, User-Agent) before JSON escaping. */
const clientFieldMaxBytes = 512;

/** Client-chosen fields, logged through a truncated copy. */
const truncatedFields: ReadonlyArray<[source: string, copy: string]> = [
  ['$request_uri', '$gateway_log_uri'],
  ['$http_user_agent', '$gateway_log_user_agent'],
];

/**
 * One JSON object per request, for log pipelines and per-request questions (the metrics are
 * counted from a log of their own, metrics.ts). Times are seconds;
 * upstream fields stay strings because nginx lists one value per try (`"0.002, 0.001"`) or `-`.
 */
const fields: ReadonlyArray<[name: string, value: string, numeric?: true]> = [
  ['time', '$time_iso8601'],
  ['requestId', requestIdVariable],
  ['remoteAddr', '$remote_addr'],
  ['method', clientMethodVariable],
  ['uri', '$gateway_log_uri'],
  ['route', routeVariable],
  // How a write was authenticated (`jwt`, `api-key`), or why it was refused; empty for reads.
  ['auth', authVariables.method],
  ['authError', authVariables.error],
  ['status', '$status', true],
  ['bytesSent', '$body_bytes_sent', true],
  ['requestTime', '$request_time', true],
  ['upstreamAddr', '$upstream_addr'],
  ['upstreamStatus', '$upstream_status'],
  ['upstreamConnectTime', '$upstream_connect_time'],
  ['upstreamResponseTime', '$upstream_response_time'],
  ['userAgent', '$gateway_log_user_agent'],
  // `REJECTED` on a request refused by a limit (the error log no longer has a line for it).
  ['limitReq', '$limit_req_status'],
  ['limitConn', '$limit_conn_status'],
];

/** `otherLogs`: further access_log lines of the same level (the metrics hook). */
export function accessLogDirectives(destination: string, otherLogs: readonly string[] = []): string[] {
  // `access_log off` would silence every other access_log of its level too.
  if (destination === 'off') return otherLogs.length > 0 ? [...otherLogs] : ['access_log off;'];
  const json = fields.map(([name, value, numeric]) => (numeric ? `"${name}":${value}` : `"${name}":"${value}"`)).join(',');
  return [
    // Nothing for a request line nginx could not read (garbage would only pollute the field).
    ...block(`map $request ${clientMethodVariable}`, ['"~^([A-Z]{1,20}) " $1;', 'default "";']),
    // A 6 kB User-Agent would otherwise cost 6 kB of log per request, refused or not.
    ...truncatedFields.flatMap(([source, copy]) => {
      const capture = `${copy}_head`;
      return block(`map ${source} ${copy}`, [`"~(?s)^(?<${capture.slice(1)}>.{0,${clientFieldMaxBytes}})" ${capture};`]);
    }),
    `log_format ${accessLogFormatName} escape=json '{${json}}';`,
    `access_log ${destination} ${accessLogFormatName};`,
    ...otherLogs,
  ];
}
