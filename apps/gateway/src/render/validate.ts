import { assertPort, assertWholeNumber } from '../settings/setting-readers.js';
import type { GatewayRenderInput, UpstreamServers } from '../types.js';

/**
 * Rejects input nginx would refuse (or misread) with a message that names the field to fix. Only
 * the renderer's own inputs, which its callers (the cluster's component, the local run, the bench,
 * the tests) set in code rather than read from the gateway's settings: ports (the bench and the
 * tests pick theirs; the local run's GATEWAY_PORT was read with this same port rule), upstreams,
 * the platform, durations. The policy (auth, limits, CORS, body size, TLS) comes resolved by
 * readGatewayPolicy (settings/gateway-policy.ts), which checked it, and is rendered as it is.
 */
export function validateInput(input: GatewayRenderInput, statusPort: number): void {
  assertPort('listenPort', input.listenPort);
  assertPort('statusPort', statusPort);
  if (statusPort === input.listenPort) throw new Error(`statusPort must differ from listenPort (both ${statusPort})`);
  validateUpstream('books', input.books);
  validateUpstream('booksReact', input.booksReact);
  const usesDns = input.books.kind === 'dns' || input.booksReact.kind === 'dns';
  if (input.platform.workerUser !== undefined && !/^[a-z_][a-z0-9_-]{0,31}$/.test(input.platform.workerUser)) {
    throw new Error(`platform.workerUser '${input.platform.workerUser}' is not an account name (lower case letters, digits, '_' or '-')`);
  }
  const relay = input.platform.writeRelayAddress;
  if (relay !== undefined) {
    const port = /^127\.0\.0\.1:(\d+)$/.exec(relay)?.[1];
    if (port === undefined && !/^unix:\/[\w./-]+$/.test(relay)) {
      throw new Error(
        `platform.writeRelayAddress '${relay}' must be 127.0.0.1:<port> or unix:<absolute path>: the relay of writes listens on this host only`,
      );
    }
    if (port !== undefined && [input.listenPort, statusPort].includes(Number(port))) {
      throw new Error(`platform.writeRelayAddress '${relay}' must use a port other than listenPort and statusPort`);
    }
  }
  if (usesDns && !input.platform.resolver) {
    throw new Error('platform.resolver is required when an upstream is a DNS name (kind: dns)');
  }
  validateSeconds('platform.accessLogFlushSeconds', input.platform.accessLogFlushSeconds);
  validateSeconds('clientTimeout', input.clientTimeout);
  const timeouts: Partial<Record<string, number>> = { ...input.timeouts };
  for (const [name, seconds] of Object.entries(timeouts)) {
    validateSeconds(`timeouts.${name}`, seconds);
  }
}

function validateUpstream(name: string, servers: UpstreamServers): void {
  if (servers.kind === 'dns') {
    if (!/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(servers.host)) {
      throw new Error(`${name}: DNS upstream host '${servers.host}' is not a valid host name`);
    }
    assertPort(`${name}: DNS upstream port`, servers.port);
    return;
  }
  if (servers.addresses.length === 0) throw new Error(`${name}: a static upstream needs at least one address`);
  for (const address of servers.addresses) {
    const match = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(\d+)$/.exec(address);
    if (!match) throw new Error(`${name}: static upstream address '${address}' is not host:port`);
    assertPort(`${name}: port of '${address}'`, Number(match[2]));
  }
}

/** An optional duration: unset, or a whole number of seconds, at least 1. */
function validateSeconds(what: string, seconds: number | undefined): void {
  if (seconds !== undefined) assertWholeNumber(what, seconds, 1);
}
