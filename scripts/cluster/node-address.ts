import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { UserError } from '../toolkit/user-error.js';

/**
 * The node's address: the IPv4 address of the interface the default route leaves through. The API
 * server advertises it (pods reach the API through the `kubernetes` Service, which points there),
 * and the kubelet reports it as the node's InternalIP. Loopback would not do: from inside a pod,
 * 127.0.0.1 is the pod itself.
 */
export function nodeAddress(): string {
  const routes = readFileSync('/proc/net/route', 'utf8').trim().split('\n').slice(1);
  const defaultRoute = routes
    .map((line) => line.trim().split(/\s+/))
    .find((fields) => fields[1] === '00000000' && fields[7] === '00000000');
  const iface = defaultRoute?.[0];
  const address = iface ? networkInterfaces()[iface]?.find((entry) => entry.family === 'IPv4' && !entry.internal)?.address : undefined;
  if (!address)
    throw new UserError('This machine has no default route with an IPv4 address: the cluster needs one for its node (see `ip route`)');
  return address;
}
