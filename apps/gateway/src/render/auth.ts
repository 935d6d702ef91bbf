import type { GatewayAuth, NginxPlatform } from '../types.js';
import { redirectTo } from './answers.js';
import { block, quoted } from './nginx-text.js';
import { defaultJwtAlgorithms } from './secrets.js';

/**
 * Authentication of writes on /books: a location that needs it redirects internally to
 * `/_gateway/protected`, whose auth_request asks the njs script in `/_gateway/auth`.
 * Reads never pay for the subrequest.
 */
export const authScriptFile = 'gateway-auth.js';

/** Set from the auth subrequest's answer; empty for requests that were not authenticated. */
export const authVariables = {
  method: '$gateway_auth_method',
  subject: '$gateway_auth_subject',
  challenge: '$gateway_auth_challenge',
  error: '$gateway_auth_error',
} as const;

/** The internal location of authenticated writes. */
export const protectedUri = '/_gateway/protected';
const authUri = '/_gateway/auth';

/** http-level lines: which methods need credentials. */
export function authHttpLines(): string[] {
  return [...block('map $request_method $gateway_needs_auth', ['GET 0;', 'HEAD 0;', 'OPTIONS 0;', 'default 1;'])];
}

/** The first lines of a route location whose writes need credentials. */
export function requireAuthForWrites(): string[] {
  return block('if ($gateway_needs_auth)', [redirectTo(protectedUri)]);
}

/**
 * The internal locations: the protected copy of a route, and the auth check. `routeLines` name
 * the route the writes belong to and `proxyLines` send them on; the protected copy is the one
 * place that reads a request body, up to `clientMaxBodySize`.
 */
export function authLocations(
  auth: GatewayAuth,
  platform: NginxPlatform,
  routeLines: string[],
  proxyLines: string[],
  clientMaxBodySize: string,
): string[] {
  const jwt = auth.jwt;
  return [
    ...block(`location = ${protectedUri}`, [
      'internal;',
      ...routeLines,
      `client_max_body_size ${clientMaxBodySize};`,
      `auth_request ${authUri};`,
      `auth_request_set ${authVariables.method} $sent_http_x_auth_method;`,
      `auth_request_set ${authVariables.subject} $sent_http_x_auth_subject;`,
      `auth_request_set ${authVariables.challenge} $sent_http_www_authenticate;`,
      `auth_request_set ${authVariables.error} $sent_http_x_auth_error;`,
      ...proxyLines,
    ]),
    ...block(`location = ${authUri}`, [
      'internal;',
      `set $gateway_secrets_dir ${quoted(platform.secretsDir)};`,
      `set $gateway_api_keys_enabled ${auth.apiKeys ? 1 : 0};`,
      `set $gateway_jwt_enabled ${jwt ? 1 : 0};`,
      ...(jwt
        ? [
            `set $gateway_jwt_issuer ${quoted(jwt.issuer)};`,
            `set $gateway_jwt_audience ${quoted(jwt.audience)};`,
            `set $gateway_jwt_algorithms ${quoted((jwt.algorithms ?? defaultJwtAlgorithms).join(' '))};`,
          ]
        : []),
      // Imported here, not at http level: njs (0.7.9) runs every imported module's top-level
      // code in each request's VM, so an http-level import made every read pay for the JWT
      // code (bench: 100.8k -> 73.9k instructions per read).
      `js_import gateway_auth from ${platform.configDir}/${authScriptFile};`,
      'js_content gateway_auth.authenticate;',
    ]),
  ];
}
