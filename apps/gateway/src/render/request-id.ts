import { block } from './nginx-text.js';

/**
 * The request id: a well-formed incoming `X-Request-Id` is kept (a client or an outer load
 * balancer can trace its own id through), anything else is replaced by nginx's random
 * `$request_id`. The pattern also makes the id safe to embed in JSON bodies and log lines.
 */
export const requestIdVariable = '$gateway_request_id';

export function requestIdMap(): string[] {
  return block(`map $http_x_request_id ${requestIdVariable}`, [
    'default $request_id;',
    '"~^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$" $http_x_request_id;',
  ]);
}
