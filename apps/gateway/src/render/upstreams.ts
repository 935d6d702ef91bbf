import type { UpstreamServers, UpstreamTimeouts } from '../types.js';
import { block } from './nginx-text.js';

/**
 * Idle pooled connections per worker, and how long one may stay idle: below the backends'
 * keep-alive timeout (the books API keeps 65 s), so the backend never closes a connection that
 * nginx is about to reuse. 128 rather than 32: at 100 client connections `npm run bench` measured
 * 1.11-1.32x the requests per second and a third of the p99 (the pool no longer overflows into
 * new connections); no difference at 10.
 */
const keepaliveConnections = 128;
const keepaliveIdleSeconds = 30;

/**
 * One failure takes a server out of rotation for two seconds, so requests stop paying a retry
 * (or a connect timeout) on a dead process or pod; it is tried again afterwards. Short, because
 * after an outage of every server nginx answers 502 until this time has passed.
 */
const serverParameters = 'max_fails=1 fail_timeout=2s';

/**
 * `1` once a try of this request ended in a 504: a backend that sent no header within
 * proxy_read_timeout (or answered 504 itself). `$upstream_status` lists every try.
 */
export const upstreamTimedOutVariable = '$gateway_upstream_timed_out';

/** http-level map of {@link upstreamTimedOutVariable}: statuses are three digits, so `504` is one. */
export function upstreamTimedOutMap(): string[] {
  return block(`map $upstream_status ${upstreamTimedOutVariable}`, ['"~504" 1;', 'default 0;']);
}

function serverLines(servers: UpstreamServers): string[] {
  if (servers.kind === 'dns') {
    // `resolve` (open-source nginx >= 1.27.3) re-resolves the name as its TTL expires, so pods
    // that come and go behind a headless Service are followed, one pool per pod.
    return [`server ${servers.host}:${servers.port} resolve ${serverParameters};`];
  }
  return servers.addresses.map((address) => `server ${address} ${serverParameters};`);
}

export function upstreamBlock(name: string, servers: UpstreamServers): string[] {
  return block(`upstream ${name}`, [
    // A shared zone lets all workers see the same failures and is required by `resolve`.
    `zone ${name} 128k;`,
    ...serverLines(servers),
    `keepalive ${keepaliveConnections};`,
    `keepalive_timeout ${keepaliveIdleSeconds}s;`,
  ]);
}

/** Total tries of one request across backends: the first plus up to two others. */
const maxTries = 3;

/**
 * How a request is sent to a backend: its timeouts, and its tries on another after an error, a
 * timeout or a 502/504 (nginx sends a POST or PATCH again only while none of it was sent). Not
 * after a 503: the books API answers it, with a Retry-After, while its database is out of reach,
 * which every replica shares; tried on another, it also counted as that server's failure, and
 * with both out of rotation clients got the gateway's own 502 ("no live upstreams") instead.
 * Nothing a request or an answer carries is written to the pod's disk: a body is passed on as it
 * arrives (only authenticated writes have one), an answer through memory buffers at the pace the
 * client reads it.
 */
export function backendProxyLines(timeouts: Required<UpstreamTimeouts>): string[] {
  return [
    `proxy_connect_timeout ${timeouts.connect}s;`,
    `proxy_read_timeout ${timeouts.read}s;`,
    `proxy_send_timeout ${timeouts.send}s;`,
    'proxy_next_upstream error timeout http_502 http_504;',
    `proxy_next_upstream_tries ${maxTries};`,
    `proxy_next_upstream_timeout ${timeouts.retryBudget}s;`,
    'proxy_request_buffering off;',
    'proxy_max_temp_file_size 0;',
  ];
}
