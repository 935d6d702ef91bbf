import * as pulumi from '@pulumi/pulumi';
import {
  defaultJwtAlgorithms,
  defaultRateLimit,
  type GatewayRenderInput,
  type GatewaySecretsInput,
} from '../apps/gateway/src/index.js';
import { renderSecretFiles, type SecretField } from './gateway-secrets.js';
import { assertWholeNumber } from './validation.js';

/*
 * The gateway's promises as settings: who may call what (JWT, API keys), how much a client may
 * ask (rate, burst, connections, body size), which sites may call it from a browser (CORS), and
 * TLS. GatewayStack's arguments and the stack config keys carry the same names, so one
 * validation serves both: each check takes `nameOf`, which turns a setting into the name the
 * user knows it by (`jwtIssuer`, or `books-gateway:jwtIssuer`).
 */

/** JWT signature algorithms the gateway can verify. `none` is not one of them, ever. */
export const jwtAlgorithms = ['RS256', 'ES256', 'HS256'] as const;
export type JwtAlgorithm = (typeof jwtAlgorithms)[number];

/** The algorithms a JWKS holds keys for; HS256 is verified with `jwtHmacSecret` instead. */
const publicKeyAlgorithms: readonly JwtAlgorithm[] = ['RS256', 'ES256'];

export interface GatewayPolicyArgs {
  /**
   * JWKS document (JSON) of the public keys RS256 and ES256 tokens are signed with. A secret in
   * the stack; with it, `jwtIssuer` and `jwtAudience` are required. Default: none.
   */
  jwtJwks?: string;
  /** HS256 shared secret, at least 32 characters; needs HS256 in `jwtAlgorithms`. Default: none. */
  jwtHmacSecret?: string;
  /** The `iss` every token must carry. Required with a key. */
  jwtIssuer?: string;
  /** The `aud` every token must carry. Required with a key. */
  jwtAudience?: string;
  /** The accepted algorithms, pinned: a token signed otherwise gets 401. Default RS256, ES256. */
  jwtAlgorithms?: readonly string[];
  /** Client name to API key, for machine clients sending `X-API-Key`. Default: none. */
  apiKeys?: Record<string, string>;
  /** Sustained requests per second per client address, at least 1. Default: the renderer's, 20. */
  rateLimitPerSecond?: number;
  /** Requests a client may send at once above the rate before getting 429, at least 0. Default 40. */
  rateLimitBurst?: number;
  /** Requests in progress at once per client address (nginx counts requests, not idle connections), at least 1. Default 20. */
  connectionsPerClient?: number;
  /** Origins allowed by CORS, exactly as browsers send them (`https://books.example.com`). Default: none. */
  corsOrigins?: readonly string[];
  /** Largest request body, in nginx size syntax (`512k`, `1m`); larger gets 413. Default `1m`. */
  maxBodySize?: string;
  /** PEM certificate chain for HTTPS; with `tlsKey`, or neither. Default: none (HTTP only). */
  tlsCertificate?: string;
  /** PEM private key of `tlsCertificate`. A secret in the stack. */
  tlsKey?: string;
  /**
   * Pass `Authorization` and `X-API-Key` on to the backends after verifying them. Default false:
   * they get only the verified identity (`X-Auth-Subject`, `X-Auth-Method`).
   */
  forwardCredentials?: boolean;
}

export type GatewayPolicySetting = keyof GatewayPolicyArgs;

/**
 * The defaults of the settings: the renderer's own, also declared as the stack config keys'
 * defaults in Pulumi.yaml.
 */
export const gatewayPolicyDefaults = {
  jwtAlgorithms: defaultJwtAlgorithms,
  rateLimitPerSecond: defaultRateLimit.requestsPerSecond,
  rateLimitBurst: defaultRateLimit.burst,
  connectionsPerClient: defaultRateLimit.connectionsPerClient,
  maxBodySize: '1m',
  forwardCredentials: false,
} as const;

/** The renderer's view of the settings: what nginx.conf says, never a secret. */
export type GatewayPolicyRender = Required<
  Pick<GatewayRenderInput, 'auth' | 'rateLimit' | 'corsOrigins' | 'clientMaxBodySize' | 'tls' | 'forwardCredentials'>
>;

type NameOf = (setting: GatewayPolicySetting) => string;

/** The settings resolved: what nginx.conf renders, and the files of the gateway's Secret. */
export interface GatewayPolicy {
  render: GatewayPolicyRender;
  /**
   * The secrets folder's files, in plaintext: hand them to a resource only inside `pulumi.secret`.
   * Undefined when no credential and no certificate is configured: nginx then reads no secret.
   */
  secretFiles?: Record<string, string>;
}

/** The setting each secret input of the renderer comes from. */
const secretSettings: Record<SecretField, GatewayPolicySetting> = {
  jwks: 'jwtJwks',
  hmacSecret: 'jwtHmacSecret',
  apiKeys: 'apiKeys',
  tlsCertificate: 'tlsCertificate',
  tlsKey: 'tlsKey',
};

/**
 * Applies the defaults, checks the settings together (a key without its issuer, HS256 without
 * its secret, a certificate without its key) and renders the secret files; throws a RunError
 * naming the setting. Pure, so the stack config can be checked with it before any resource.
 */
export function resolveGatewayPolicy(args: GatewayPolicyArgs, nameOf: NameOf): GatewayPolicy {
  const rateLimit = {
    requestsPerSecond: assertWholeNumber(
      nameOf('rateLimitPerSecond'),
      args.rateLimitPerSecond ?? gatewayPolicyDefaults.rateLimitPerSecond,
      1,
    ),
    burst: assertWholeNumber(nameOf('rateLimitBurst'), args.rateLimitBurst ?? gatewayPolicyDefaults.rateLimitBurst, 0),
    connectionsPerClient: assertWholeNumber(
      nameOf('connectionsPerClient'),
      args.connectionsPerClient ?? gatewayPolicyDefaults.connectionsPerClient,
      1,
    ),
  };
  if ((args.tlsCertificate === undefined) !== (args.tlsKey === undefined)) {
    const [set, missing] = args.tlsKey === undefined ? (['tlsCertificate', 'tlsKey'] as const) : (['tlsKey', 'tlsCertificate'] as const);
    throw new pulumi.RunError(
      `${nameOf(set)} is set but ${nameOf(missing)} is not: HTTPS needs the certificate and its private key, ` +
        'both PEM (or neither, for HTTP only)',
    );
  }
  const render: GatewayPolicyRender = {
    auth: { jwt: resolveJwt(args, nameOf), apiKeys: args.apiKeys !== undefined && Object.keys(args.apiKeys).length > 0 },
    rateLimit,
    corsOrigins: [...new Set(args.corsOrigins ?? [])].map((origin) => assertOrigin(nameOf('corsOrigins'), origin)),
    clientMaxBodySize: assertBodySize(nameOf('maxBodySize'), args.maxBodySize ?? gatewayPolicyDefaults.maxBodySize),
    tls: args.tlsCertificate !== undefined,
    forwardCredentials: args.forwardCredentials ?? gatewayPolicyDefaults.forwardCredentials,
  };
  const needsSecrets = render.auth.jwt !== undefined || render.auth.apiKeys === true || render.tls;
  if (!needsSecrets) return { render };
  return { render, secretFiles: renderSecretFiles(gatewaySecretsInput(args), render, (field) => nameOf(secretSettings[field])) };
}

/** The renderer's secret inputs from the settings, in plaintext (the local run writes them itself). */
export function gatewaySecretsInput(args: GatewayPolicyArgs): GatewaySecretsInput {
  return {
    jwks: args.jwtJwks,
    hmacSecret: args.jwtHmacSecret,
    apiKeys: args.apiKeys,
    tlsCertificate: args.tlsCertificate,
    tlsKey: args.tlsKey,
  };
}

/** The accepted algorithms, pinned; `none` and anything unknown refused by name. */
export function assertJwtAlgorithms(name: string, algorithms: readonly string[]): JwtAlgorithm[] {
  if (algorithms.length === 0) {
    throw new pulumi.RunError(`${name} must list at least one of ${jwtAlgorithms.join(', ')}`);
  }
  for (const algorithm of algorithms) {
    if (algorithm.toLowerCase() === 'none') {
      throw new pulumi.RunError(`${name} must not include "none": it would accept unsigned tokens that anyone can forge`);
    }
    if (!(jwtAlgorithms as readonly string[]).includes(algorithm)) {
      throw new pulumi.RunError(`${name}: "${algorithm}" is not a supported algorithm; valid: ${jwtAlgorithms.join(', ')}`);
    }
  }
  return [...new Set(algorithms as readonly JwtAlgorithm[])];
}

/** JWT validation when a key is configured: every key matches an accepted algorithm and back. */
function resolveJwt(args: GatewayPolicyArgs, nameOf: NameOf): NonNullable<GatewayPolicyRender['auth']['jwt']> | undefined {
  const algorithms = assertJwtAlgorithms(nameOf('jwtAlgorithms'), args.jwtAlgorithms ?? gatewayPolicyDefaults.jwtAlgorithms);
  const keyNames = `${nameOf('jwtJwks')} (RS256, ES256) or ${nameOf('jwtHmacSecret')} (HS256)`;
  if (args.jwtJwks === undefined && args.jwtHmacSecret === undefined) {
    for (const setting of ['jwtIssuer', 'jwtAudience'] as const) {
      if (args[setting] !== undefined) {
        throw new pulumi.RunError(`${nameOf(setting)} is set but no key verifies tokens: set ${keyNames}`);
      }
    }
    return undefined;
  }
  // A key the accepted algorithms never use would be ignored in silence: refuse it instead. An
  // accepted algorithm without its key is refused by the secrets renderer, naming the key.
  if (args.jwtHmacSecret !== undefined && !algorithms.includes('HS256')) {
    throw new pulumi.RunError(`${nameOf('jwtHmacSecret')} is set but ${nameOf('jwtAlgorithms')} does not accept HS256`);
  }
  if (args.jwtJwks !== undefined && !algorithms.some((algorithm) => publicKeyAlgorithms.includes(algorithm))) {
    throw new pulumi.RunError(`${nameOf('jwtJwks')} is set but ${nameOf('jwtAlgorithms')} accepts neither RS256 nor ES256`);
  }
  return {
    issuer: assertClaim(nameOf('jwtIssuer'), args.jwtIssuer, keyNames),
    audience: assertClaim(nameOf('jwtAudience'), args.jwtAudience, keyNames),
    algorithms,
  };
}

/** An `iss` or `aud` value: required with a key, printable, nothing nginx's syntax would reinterpret. */
function assertClaim(name: string, value: string | undefined, keyNames: string): string {
  if (value === undefined) {
    throw new pulumi.RunError(`Missing ${name}: tokens verified with ${keyNames} must be checked for it`);
  }
  if (!/^[\x21-\x7e]+$/.test(value) || /["'\\;{}$`]/.test(value)) {
    throw new pulumi.RunError(
      `${name} must be printable ASCII without spaces, quotes, backslashes or ; { } $, got "${value}"`,
    );
  }
  return value;
}

/** An exact CORS origin, as a browser sends it in `Origin`: scheme, host, port only if not the default. */
export function assertOrigin(name: string, origin: string): string {
  const hint = 'e.g. https://books.example.com or http://localhost:5173';
  if (origin === '*' || origin.includes('*')) {
    throw new pulumi.RunError(`${name}: wildcards are not allowed, list each origin (${hint}), got "${origin}"`);
  }
  let canonical: string | undefined;
  try {
    const url = new URL(origin);
    if (url.protocol === 'http:' || url.protocol === 'https:') canonical = url.origin;
  } catch {
    canonical = undefined;
  }
  if (canonical !== origin) {
    const suggestion = canonical === undefined ? '' : ` (did you mean "${canonical}"?)`;
    throw new pulumi.RunError(
      `${name}: "${origin}" is not an origin: write http(s)://host[:port] exactly as browsers send it, ` +
        `lower case, without path or trailing slash (${hint})${suggestion}`,
    );
  }
  return origin;
}

/** An nginx size above 0 (`0` would lift the limit entirely). */
export function assertBodySize(name: string, size: string): string {
  if (!/^[1-9]\d*[kKmMgG]?$/.test(size)) {
    throw new pulumi.RunError(`${name} must be an nginx size above 0 such as 512k, 1m or 10m, got "${size}"`);
  }
  return size;
}
