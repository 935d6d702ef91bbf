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

/** Client-chosen fields, logged through a copy that is cut short and valid UTF-8. */
const clientFields: ReadonlyArray<[source: string, copy: string]> = [
  ['$request_uri', '$gateway_log_uri'],
  ['$http_user_agent', '$gateway_log_user_agent'],
];

/**
 * One UTF-8 character that escape=json leaves valid JSON that no terminal acts on: ASCII but
 * DEL (the bytes below 0x20 it writes as `\u00XX`), or a well-formed multi-byte sequence
 * (RFC 3629: no overlong form, no surrogate) other than the C1 controls U+0080 to U+009F.
 * Possessive repeats: the pattern never backtracks into a character.
 */
const logSafeCharacter = [
  '[\\x01-\\x7e]',
  '\\xc2[\\xa0-\\xbf]',
  '[\\xc3-\\xdf][\\x80-\\xbf]',
  '\\xe0[\\xa0-\\xbf][\\x80-\\xbf]',
  '[\\xe1-\\xec\\xee\\xef][\\x80-\\xbf]{2}',
  '\\xed[\\x80-\\x9f][\\x80-\\xbf]',
  '\\xf0[\\x90-\\xbf][\\x80-\\xbf]{2}',
  '[\\xf1-\\xf3][\\x80-\\xbf]{3}',
  '\\xf4[\\x80-\\x8f][\\x80-\\xbf]{2}',
].join('|');

/** Marks where a logged field was cut at a byte that is not {@link logSafeCharacter}: U+FFFD, as decoders do. */
const replacementCharacter = '\uFFFD';

/**
 * The maps giving `copy`: the first 512 bytes of `source`, up to the first byte that is not
 * part of a {@link logSafeCharacter}, with {@link replacementCharacter} where it was cut there.
 * escape=json escapes quotes, backslashes and bytes below 0x20, but copies the others as they
 * came: raw 0xff would make the line invalid UTF-8, which strict log collectors drop.
 *
 * The usual field (ASCII, at most 512 bytes) is its own copy, which one match of one
 * character class tells: the general path (capture the head, then match it character by
 * character) is evaluated only for the rest, as nginx evaluates a map's value only when it is
 * chosen. That saves about 5k of the 97k instructions of a GET /books (callgrind, nginx 1.30).
 */
function clientFieldMaps(source: string, copy: string): string[] {
  const head = `${copy}_head`;
  const general = `${copy}_general`;
  // Capture names become variables too; PCRE2 allows them 32 characters.
  const [bytes, valid] = ['bytes', 'valid'].map((part) => `${copy.replace('$gateway_', '')}_${part}`);
  return [
    ...block(`map ${source} ${copy}`, [`"~^[\\x01-\\x7e]{0,${clientFieldMaxBytes}}\\z" ${source};`, `default ${general};`]),
    // A 6 kB User-Agent would otherwise cost 6 kB of log per request, refused or not.
    ...block(`map ${source} ${head}`, [`"~(?s)^(?<${bytes}>.{0,${clientFieldMaxBytes}})" $${bytes};`]),
    ...block(`map ${head} ${general}`, [
      `"~^(?:${logSafeCharacter})*+$" ${head};`,
      `"~^(?<${valid}>(?:${logSafeCharacter})*+)" "$${valid}${replacementCharacter}";`,
    ]),
  ];
}

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

/**
 * `flushSeconds`: buffer the lines (see NginxPlatform.accessLogFlushSeconds); `otherLogs`:
 * further access_log lines of the same level (the metrics hook).
 */
export function accessLogDirectives(destination: string, flushSeconds?: number, otherLogs: readonly string[] = []): string[] {
  // `access_log off` would silence every other access_log of its level too.
  if (destination === 'off') return otherLogs.length > 0 ? [...otherLogs] : ['access_log off;'];
  const json = fields.map(([name, value, numeric]) => (numeric ? `"${name}":${value}` : `"${name}":"${value}"`)).join(',');
  return [
    // Nothing for a request line nginx could not read (garbage would only pollute the field).
    ...block(`map $request ${clientMethodVariable}`, ['"~^([A-Z]{1,20}) " $1;', 'default "";']),
    ...clientFields.flatMap(([source, copy]) => clientFieldMaps(source, copy)),
    `log_format ${accessLogFormatName} escape=json '{${json}}';`,
    `access_log ${destination} ${accessLogFormatName}${flushSeconds === undefined ? '' : ` buffer=64k flush=${flushSeconds}s`};`,
    ...otherLogs,
  ];
}
