import { createPrivateKey, X509Certificate } from 'node:crypto';
import { defaultRateLimit } from '../render/rate-limit.js';
import { defaultBodySize } from '../render/render-gateway.js';
import { defaultJwtAlgorithms, renderGatewaySecrets, type SecretField } from '../render/secrets.js';
import type { BodySize, GatewayRenderInput, GatewaySecretsInput } from '../types.js';
import { GatewaySettingsError } from './settings-error.js';
import {
  optionalSecret,
  optionalString,
  parseJsonObject,
  readBoolean,
  readList,
  readWholeNumber,
  recordSource,
  type SettingSource,
} from './setting-readers.js';

/*
 * The gateway's promises as settings: who may call what (JWT, API keys), how much a client may
 * ask (rate, burst, connections, body size), which sites may call it from a browser (CORS), and
 * TLS. Read from text (a stack's config keys, or `npm run local`'s GATEWAY_* variables named
 * after them), checked here and only here, each mistake naming the setting as the source names
 * it; the renderer takes the resolved policy as it is.
 */

/** JWT signature algorithms the gateway can verify. `none` is not one of them, ever. */
export const jwtAlgorithms = ['RS256', 'ES256', 'HS256'] as const;
export type JwtAlgorithm = (typeof jwtAlgorithms)[number];

/** The algorithms a JWKS holds keys for; HS256 is verified with `jwtHmacSecret` instead. */
const publicKeyAlgorithms: readonly JwtAlgorithm[] = ['RS256', 'ES256'];

/** The settings, by their stack config key (Pulumi.yaml and docs/config.md describe each). */
export const gatewayPolicySettings = [
  'jwtJwks',
  'jwtHmacSecret',
  'jwtIssuer',
  'jwtAudience',
  'jwtAlgorithms',
  'apiKeys',
  'rateLimitPerSecond',
  'rateLimitBurst',
  'connectionsPerClient',
  'corsOrigins',
  'maxBodySize',
  'tlsCertificate',
  'tlsKey',
  'forwardCredentials',
] as const;

export type GatewayPolicySetting = (typeof gatewayPolicySettings)[number];

/** The settings whose values are secrets: never quoted, set with `--secret`, read from a file locally. */
export const secretPolicySettings: readonly GatewayPolicySetting[] = ['jwtJwks', 'jwtHmacSecret', 'apiKeys', 'tlsCertificate', 'tlsKey'];

/** The defaults of the settings: the renderer's own, also declared as the stack config keys' defaults in Pulumi.yaml. */
export const gatewayPolicyDefaults = {
  jwtAlgorithms: defaultJwtAlgorithms,
  rateLimitPerSecond: defaultRateLimit.requestsPerSecond,
  rateLimitBurst: defaultRateLimit.burst,
  connectionsPerClient: defaultRateLimit.connectionsPerClient,
  maxBodySize: defaultBodySize.nginx,
  forwardCredentials: false,
} as const;

/** The renderer's view of the policy: what nginx.conf says, never a secret. */
export type GatewayPolicyRender = Required<
  Pick<GatewayRenderInput, 'auth' | 'rateLimit' | 'corsOrigins' | 'clientMaxBodySize' | 'tls' | 'forwardCredentials'>
>;

/** The settings resolved and checked: what nginx.conf renders, and the files of the gateway's secrets folder. */
export interface GatewayPolicy {
  render: GatewayPolicyRender;
  /**
   * The secrets folder's files, in plaintext: the cluster hands them to a resource only inside
   * `pulumi.secret`. Undefined when no credential and no certificate is configured: nginx then
   * reads no secret.
   */
  secretFiles?: Record<string, string>;
  /** The secrets as set, in plaintext, for the local run, which writes its own secrets folder. */
  secrets: GatewaySecretsInput;
}

/** The setting each secret input of the renderer comes from. */
const secretSettings: Record<SecretField, GatewayPolicySetting> = {
  jwks: 'jwtJwks',
  hmacSecret: 'jwtHmacSecret',
  apiKeys: 'apiKeys',
  tlsCertificate: 'tlsCertificate',
  tlsKey: 'tlsKey',
};

type NameOf = (setting: GatewayPolicySetting) => string;

/**
 * Reads the settings from `source`, applies the defaults, checks them alone and together (a key
 * without its issuer, HS256 without its secret, a certificate without its key) and renders the
 * secret files. Throws a GatewaySettingsError naming the setting as `source` names it. Pure, so
 * the stack config is checked with it before any resource, and the local run before anything starts.
 */
export function readGatewayPolicy(source: SettingSource): GatewayPolicy {
  const nameOf: NameOf = (setting) => source.nameOf(setting);
  const apiKeysText = optionalSecret(source, 'apiKeys');
  const secrets: GatewaySecretsInput = {
    jwks: optionalSecret(source, 'jwtJwks'),
    hmacSecret: optionalSecret(source, 'jwtHmacSecret'),
    apiKeys: apiKeysText === undefined ? undefined : parseApiKeys(source, apiKeysText),
    tlsCertificate: optionalSecret(source, 'tlsCertificate'),
    tlsKey: optionalSecret(source, 'tlsKey'),
  };
  const rateLimit = {
    requestsPerSecond: readWholeNumber(source, 'rateLimitPerSecond', gatewayPolicyDefaults.rateLimitPerSecond, 1),
    burst: readWholeNumber(source, 'rateLimitBurst', gatewayPolicyDefaults.rateLimitBurst, 0),
    // nginx refuses a connection limit of 65536 or more.
    connectionsPerClient: readWholeNumber(source, 'connectionsPerClient', gatewayPolicyDefaults.connectionsPerClient, 1, 65535),
  };
  const corsOrigins = readList(source, 'corsOrigins') ?? [];
  const maxBodySize = optionalString(source, 'maxBodySize') ?? gatewayPolicyDefaults.maxBodySize;
  const forwardCredentials = readBoolean(source, 'forwardCredentials', gatewayPolicyDefaults.forwardCredentials);
  if ((secrets.tlsCertificate === undefined) !== (secrets.tlsKey === undefined)) {
    const [set, missing] = secrets.tlsKey === undefined ? (['tlsCertificate', 'tlsKey'] as const) : (['tlsKey', 'tlsCertificate'] as const);
    throw new GatewaySettingsError(
      nameOf(set),
      `${nameOf(set)} is set but ${nameOf(missing)} is not: HTTPS needs the certificate and its private key, both PEM (or neither, for HTTP only)`,
    );
  }
  const render: GatewayPolicyRender = {
    auth: { jwt: resolveJwt(source, secrets, nameOf), apiKeys: secrets.apiKeys !== undefined && Object.keys(secrets.apiKeys).length > 0 },
    rateLimit,
    corsOrigins: [...new Set(corsOrigins)].map((origin) => assertOrigin(nameOf('corsOrigins'), origin)),
    clientMaxBodySize: parseBodySize(nameOf('maxBodySize'), maxBodySize),
    tls: secrets.tlsCertificate !== undefined,
    forwardCredentials,
  };
  const needsSecrets = render.auth.jwt !== undefined || render.auth.apiKeys === true || render.tls;
  if (!needsSecrets) return { render, secrets };
  if (secrets.tlsCertificate !== undefined && secrets.tlsKey !== undefined) assertTlsPair(secrets.tlsCertificate, secrets.tlsKey, nameOf);
  return { render, secrets, secretFiles: renderGatewaySecrets(secrets, render, (field) => nameOf(secretSettings[field])) };
}

/** The policy of no settings at all: no credentials (writes on /books get 401), the default limits. */
export function defaultGatewayPolicy(): GatewayPolicy {
  return readGatewayPolicy(recordSource({}));
}

/**
 * The `apiKeys` text as client name to key. JSON.parse's own message quotes the text it failed
 * on, which would print a secret, so this one says only what is expected.
 */
function parseApiKeys(source: SettingSource, text: string): Record<string, string> {
  const parsed = parseJsonObject(text);
  const keys: Record<string, string> = {};
  for (const [client, key] of Object.entries(parsed ?? {})) if (typeof key === 'string') keys[client] = key;
  if (parsed === undefined || Object.keys(keys).length !== Object.keys(parsed).length) {
    const name = source.nameOf('apiKeys');
    const advice = source.secretAdvice === undefined ? '' : `, ${source.secretAdvice}`;
    throw new GatewaySettingsError(
      name,
      `${name} must be a JSON object of client name to key, e.g. {"inventory-sync":"<random key of 24+ characters>"}${advice}; the value set is not one`,
    );
  }
  return keys;
}

/** The accepted algorithms, pinned; `none` and anything unknown refused by name. */
function assertJwtAlgorithms(name: string, algorithms: readonly string[]): JwtAlgorithm[] {
  if (algorithms.length === 0) throw new GatewaySettingsError(name, `${name} must list at least one of ${jwtAlgorithms.join(', ')}`);
  const accepted: JwtAlgorithm[] = [];
  for (const algorithm of algorithms) {
    if (algorithm.toLowerCase() === 'none') {
      throw new GatewaySettingsError(name, `${name} must not include "none": it would accept unsigned tokens that anyone can forge`);
    }
    const known = jwtAlgorithms.find((candidate) => candidate === algorithm);
    if (known === undefined) {
      throw new GatewaySettingsError(name, `${name}: "${algorithm}" is not a supported algorithm; valid: ${jwtAlgorithms.join(', ')}`);
    }
    if (!accepted.includes(known)) accepted.push(known);
  }
  return accepted;
}

/** JWT validation when a key is configured: every key matches an accepted algorithm and back. */
function resolveJwt(source: SettingSource, secrets: GatewaySecretsInput, nameOf: NameOf): GatewayPolicyRender['auth']['jwt'] {
  const algorithms = assertJwtAlgorithms(nameOf('jwtAlgorithms'), readList(source, 'jwtAlgorithms') ?? gatewayPolicyDefaults.jwtAlgorithms);
  const issuer = optionalString(source, 'jwtIssuer');
  const audience = optionalString(source, 'jwtAudience');
  const keyNames = `${nameOf('jwtJwks')} (RS256, ES256) or ${nameOf('jwtHmacSecret')} (HS256)`;
  if (secrets.jwks === undefined && secrets.hmacSecret === undefined) {
    for (const [setting, value] of [
      ['jwtIssuer', issuer],
      ['jwtAudience', audience],
    ] as const) {
      if (value !== undefined)
        throw new GatewaySettingsError(nameOf(setting), `${nameOf(setting)} is set but no key verifies tokens: set ${keyNames}`);
    }
    return undefined;
  }
  // A key the accepted algorithms never use would be ignored in silence: refuse it instead. An
  // accepted algorithm without its key is refused by the secrets renderer, naming the key.
  if (secrets.hmacSecret !== undefined && !algorithms.includes('HS256')) {
    throw new GatewaySettingsError(
      nameOf('jwtHmacSecret'),
      `${nameOf('jwtHmacSecret')} is set but ${nameOf('jwtAlgorithms')} does not accept HS256`,
    );
  }
  if (secrets.jwks !== undefined && !algorithms.some((algorithm) => publicKeyAlgorithms.includes(algorithm))) {
    throw new GatewaySettingsError(
      nameOf('jwtJwks'),
      `${nameOf('jwtJwks')} is set but ${nameOf('jwtAlgorithms')} accepts neither RS256 nor ES256`,
    );
  }
  return {
    issuer: assertClaim(nameOf('jwtIssuer'), issuer, keyNames),
    audience: assertClaim(nameOf('jwtAudience'), audience, keyNames),
    algorithms,
  };
}

/** An `iss` or `aud` value: required with a key, printable, nothing nginx's syntax would reinterpret. */
function assertClaim(name: string, value: string | undefined, keyNames: string): string {
  if (value === undefined) throw new GatewaySettingsError(name, `Missing ${name}: tokens verified with ${keyNames} must be checked for it`);
  // Rendered into nginx.conf, where `$` would read a variable and quotes end the string.
  if (!/^[\x21-\x7e]+$/.test(value) || /["'\\;{}$`]/.test(value)) {
    throw new GatewaySettingsError(name, `${name} must be printable ASCII without spaces, quotes, backslashes or ; { } $, got "${value}"`);
  }
  return value;
}

/** An exact CORS origin, as a browser sends it in `Origin`: scheme, host, port only if not the default. */
function assertOrigin(name: string, origin: string): string {
  const hint = 'e.g. https://books.example.com or http://localhost:5173';
  if (origin.includes('*')) {
    throw new GatewaySettingsError(name, `${name}: wildcards are not allowed, list each origin (${hint}), got "${origin}"`);
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
    throw new GatewaySettingsError(
      name,
      `${name}: "${origin}" is not an origin: write http(s)://host[:port] exactly as browsers send it, ` +
        `lower case, without path or trailing slash (${hint})${suggestion}`,
    );
  }
  return origin;
}

/**
 * An nginx size above 0 (`512k`, `1m`, `1g`, or plain bytes), with the bytes it stands for: nginx
 * reads `client_max_body_size 0` as no limit at all. The renderer's `clientMaxBodySize` is one.
 */
export function parseBodySize(name: string, size: string): BodySize {
  const match = /^([1-9]\d*)([kKmMgG]?)$/.exec(size);
  if (!match) throw new GatewaySettingsError(name, `${name} must be an nginx size above 0 such as 512k, 1m or 10m, got "${size}"`);
  return { nginx: size, bytes: Number(match[1]) * 1024 ** ['', 'k', 'm', 'g'].indexOf((match[2] ?? '').toLowerCase()) };
}

/**
 * nginx only finds out at start that a certificate cannot be read or does not belong to its key,
 * and then a new gateway pod never becomes ready: find out now.
 */
function assertTlsPair(certificate: string, key: string, nameOf: NameOf): void {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(certificate);
  } catch {
    throw new GatewaySettingsError(
      nameOf('tlsCertificate'),
      `${nameOf('tlsCertificate')} is not a PEM certificate (-----BEGIN CERTIFICATE-----)`,
    );
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new GatewaySettingsError(
      nameOf('tlsKey'),
      `${nameOf('tlsKey')} is not an unencrypted PEM private key (nginx cannot be given a passphrase here)`,
    );
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new GatewaySettingsError(
      nameOf('tlsKey'),
      `${nameOf('tlsKey')} is not the private key of the first certificate in ${nameOf('tlsCertificate')}`,
    );
  }
}
