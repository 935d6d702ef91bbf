import type { NginxPlatform, UpstreamTimeouts } from '../types.js';
import { errorPagesFile } from './error-pages.js';
import { block } from './nginx-text.js';
import { backendProxyLines } from './upstreams.js';

/*
 * Writes (POST, PUT, PATCH, DELETE) are never sent twice. nginx retries a request on another
 * backend after an error, a timeout or a 502/503/504 (proxy_next_upstream), and once the request
 * has gone out it holds back only POST, PATCH and LOCK: a PUT or DELETE whose pod died before it
 * answered would be sent again to another pod, which might apply it a second time (a DELETE
 * would then answer 404 for a book it did delete). So the gateway hands every authenticated
 * write to a relay of its own, a second server of the same nginx reached over loopback, as a
 * POST with the client's method in a header: there nginx's own rule for POST applies to every
 * write (tried on another pod only while no byte of it was sent: a refused connection, a connect
 * timeout), and the relay sends it to the books API under its real method. Reads keep their
 * retries.
 */

/** The relay's upstream name: one address, the relay's own listener. */
export const writeRelayUpstream = 'books_writes';

/** The header that carries the client's method to the relay; no backend ever sees it. */
const methodHeader = 'X-Gateway-Write-Method';
/** The client's method on the hop to the relay, empty (no header) on every other. */
const methodVariable = '$gateway_write_method';

/**
 * Where the relay listens: the platform's choice, else a Unix socket in the run folder (a new
 * folder on every local start, so no socket is ever left over from a killed nginx there).
 */
export function writeRelayAddress(platform: Pick<NginxPlatform, 'runDir' | 'writeRelayAddress'>): string {
  return platform.writeRelayAddress ?? `unix:${platform.runDir}/books-writes.sock`;
}

/**
 * http-level lines: the relay's upstream, with a keep-alive pool, and the method header's value,
 * set only on the hop from the location of authenticated writes (`protectedUri`).
 */
export function writeRelayHttpLines(platform: Pick<NginxPlatform, 'runDir' | 'writeRelayAddress'>, protectedUri: string): string[] {
  return [
    ...block(`map $uri ${methodVariable}`, [`${protectedUri} $request_method;`, 'default "";']),
    ...block(`upstream ${writeRelayUpstream}`, [
      `server ${writeRelayAddress(platform)};`,
      'keepalive 32;',
      // Below the relay's own keepalive_timeout (below): the relay never closes a pooled
      // connection this side is about to send a write on.
      `keepalive_timeout ${relayIdleSeconds - 30}s;`,
    ]),
  ];
}

/** How long the relay keeps an idle connection from the public server. */
const relayIdleSeconds = 60;

/** The header line of the public server: whatever a client sent under that name is replaced. */
export function writeRelayHeaderLine(): string {
  return `proxy_set_header ${methodHeader} ${methodVariable};`;
}

/**
 * The lines of the location of authenticated writes that hand the write to the relay: as a POST
 * (the relay's retry rule), never retried on this hop, and waited for as long as the relay may
 * take across its own tries.
 */
export function writeRelayProxyLines(timeouts: Required<UpstreamTimeouts>): string[] {
  return [
    'proxy_method POST;',
    'proxy_next_upstream off;',
    `proxy_read_timeout ${timeouts.retryBudget + timeouts.connect + timeouts.read}s;`,
    // The URI exactly as the client sent it (percent-encoding, %0A, %2F and all), as reads get
    // it: nginx would otherwise send this location's own URI, or a decoded form of the original.
    `proxy_pass http://${writeRelayUpstream}$request_uri;`,
  ];
}

/**
 * The relay: on its loopback address only, no log (the public server logs the write once, with
 * its final status), the books API behind it with the read path's timeouts and tries, and the
 * gateway's JSON error pages for what it answers itself (every books pod refusing or gone).
 * Every header the public server set passes through as it came.
 */
export function writeRelayServer(
  platform: Pick<NginxPlatform, 'runDir' | 'writeRelayAddress' | 'configDir'>,
  timeouts: Required<UpstreamTimeouts>,
  booksUpstream: string,
): string[] {
  return block('server', [
    `listen ${writeRelayAddress(platform)};`,
    'access_log off;',
    `keepalive_timeout ${relayIdleSeconds}s;`,
    `include ${platform.configDir}/${errorPagesFile};`,
    ...block('location /', [
      'proxy_http_version 1.1;',
      'proxy_set_header Connection "";',
      'proxy_set_header Host $http_host;',
      `proxy_set_header ${methodHeader} "";`,
      `proxy_method $http_${methodHeader.toLowerCase().replaceAll('-', '_')};`,
      // As a POST here: tried on another pod only while nothing of it was sent (nginx's rule for
      // non-idempotent requests); never after, whatever the failure.
      ...backendProxyLines(timeouts),
      `proxy_pass http://${booksUpstream};`,
    ]),
  ]);
}
