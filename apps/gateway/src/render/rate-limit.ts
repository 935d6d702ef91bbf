import type { GatewayRateLimit } from '../types.js';

/**
 * Per client address: a page load (document, script, stylesheet, icon, `/books`) fits in the
 * burst many times over, a client looping on the API does not. Connections: a browser opens
 * at most 6 per origin, so 20 leaves room for several browsers behind one address.
 */
export const defaultRateLimit: Readonly<GatewayRateLimit> = { requestsPerSecond: 20, burst: 40, connectionsPerClient: 20 };

const requestZone = 'gateway_requests_per_client';
const connectionZone = 'gateway_connections_per_client';

/** The shared zones (http level): 10 MB hold about 160 000 client addresses each. */
export function rateLimitZones(limit: GatewayRateLimit): string[] {
  return [
    `limit_req_zone $binary_remote_addr zone=${requestZone}:10m rate=${limit.requestsPerSecond}r/s;`,
    `limit_conn_zone $binary_remote_addr zone=${connectionZone}:10m;`,
  ];
}

/** The limits on the public server; refusals are 429 (JSON, with Retry-After), never 503. */
export function rateLimitServerLines(limit: GatewayRateLimit): string[] {
  return [
    // nodelay: requests within the burst are served at once rather than queued behind the rate.
    // No burst is written as none: nginx refuses `burst=0`.
    `limit_req zone=${requestZone}${limit.burst > 0 ? ` burst=${limit.burst}` : ''} nodelay;`,
    'limit_req_status 429;',
    `limit_conn ${connectionZone} ${limit.connectionsPerClient};`,
    'limit_conn_status 429;',
    // One line per refusal at `error` would flood the console under load: the access log counts
    // them (`limitReq`, `limitConn`: REJECTED), the error log does not show them at its `warn`.
    'limit_req_log_level info;',
    'limit_conn_log_level info;',
  ];
}

/** Seconds after which a refused client may try again: one request's share of the rate. */
export function retryAfterSeconds(limit: GatewayRateLimit): number {
  return Math.max(1, Math.ceil(1 / limit.requestsPerSecond));
}
