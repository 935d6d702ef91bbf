import { type JsonWebKey, type KeyObject, createHash, createPublicKey } from 'node:crypto';
import { GatewaySettingsError } from '../settings/settings-error.js';
import type { GatewayAuth, GatewayRenderInput, GatewaySecretsInput } from '../types.js';

/**
 * The files of the secrets folder (`platform.secretsDir`, a Kubernetes Secret in the cluster).
 * nginx.conf names them by path only, so the ConfigMap never holds key material.
 */
export const secretFiles = {
  /** `{ keys: [{ kid, alg, spki }], hmacSecret? }`: the JWKS as SPKI keys njs 0.7.9 can import. */
  jwtKeys: 'jwt-keys.json',
  /** `{ "<sha256 hex of a key>": "<client name>" }`: API keys, stored only as digests. */
  apiKeys: 'api-keys.json',
  tlsCertificate: 'tls.crt',
  tlsKey: 'tls.key',
} as const;

/** The gateway settings that decide which secrets are needed. */
export type SecretsSettings = Pick<GatewayRenderInput, 'auth' | 'tls'>;

/** An input of the secrets; errors start with its name, as `nameOf` gives it. */
export type SecretField = keyof GatewaySecretsInput;

/** The name an error gives a field: the field itself, or the setting it was read from. */
type NameOf = (field: SecretField) => string;

/** Default JWT algorithms when `auth.jwt.algorithms` is not given. */
export const defaultJwtAlgorithms: ReadonlyArray<'RS256' | 'ES256'> = ['RS256', 'ES256'];

/** A client name becomes a request header value and a log field: keep it plain. */
const clientNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const minimumApiKeyLength = 24;
const minimumHmacSecretLength = 32;
/** Shorter RSA keys can be factored; NIST deprecated them years ago. */
const minimumRsaBits = 2048;

interface SpkiKey {
  kid?: string;
  alg: 'RS256' | 'ES256';
  spki: string;
}

/**
 * The files (name to contents) of the secrets folder. Throws a GatewaySettingsError naming the
 * field at fault, as `nameOf` names it (readGatewayPolicy: the setting it was read from), when a
 * secret is missing for the settings, or malformed; the Pulumi program calls it, through
 * readGatewayPolicy, before registering resources.
 */
export function renderGatewaySecrets(
  input: GatewaySecretsInput,
  settings: SecretsSettings = {},
  nameOf: NameOf = (field) => field,
): Record<string, string> {
  const algorithms = settings.auth?.jwt ? (settings.auth.jwt.algorithms ?? defaultJwtAlgorithms) : [];
  const files: Record<string, string> = {
    [secretFiles.jwtKeys]: `${JSON.stringify(jwtKeyMaterial(input, algorithms, nameOf))}\n`,
    [secretFiles.apiKeys]: `${JSON.stringify(apiKeyDigests(input.apiKeys, settings.auth, nameOf('apiKeys')))}\n`,
  };
  if (settings.tls) {
    files[secretFiles.tlsCertificate] = pem(nameOf('tlsCertificate'), 'certificate', input.tlsCertificate, /-----BEGIN CERTIFICATE-----/);
    files[secretFiles.tlsKey] = pem(nameOf('tlsKey'), 'private key', input.tlsKey, /-----BEGIN (RSA |EC )?PRIVATE KEY-----/);
  }
  return files;
}

/** Throws, like renderGatewaySecrets, when the secrets do not fit the settings. */
export function validateGatewaySecrets(input: GatewaySecretsInput, settings: SecretsSettings = {}): void {
  renderGatewaySecrets(input, settings);
}

/** A JWK member as a message shows it: a string as it is, anything else as its JSON. */
function shown(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function jwtKeyMaterial(
  input: GatewaySecretsInput,
  algorithms: ReadonlyArray<string>,
  nameOf: NameOf,
): { keys: SpkiKey[]; hmacSecret?: string } {
  const needsJwks = algorithms.some((algorithm) => algorithm !== 'HS256');
  const jwks = nameOf('jwks');
  if (needsJwks && input.jwks === undefined) {
    throw new GatewaySettingsError(
      jwks,
      `${jwks}: a JWKS is required to verify ${algorithms.filter((a) => a !== 'HS256').join('/')} tokens`,
    );
  }
  const keys = needsJwks ? spkiKeys(input.jwks ?? '', algorithms, jwks) : [];
  if (!algorithms.includes('HS256')) return { keys };
  if (input.hmacSecret === undefined || input.hmacSecret.length < minimumHmacSecretLength) {
    const name = nameOf('hmacSecret');
    throw new GatewaySettingsError(name, `${name}: HS256 needs a shared secret of at least ${minimumHmacSecretLength} characters`);
  }
  return { keys, hmacSecret: input.hmacSecret };
}

function spkiKeys(jwks: string, algorithms: ReadonlyArray<string>, name: string): SpkiKey[] {
  let document: unknown;
  try {
    document = JSON.parse(jwks);
  } catch {
    throw new GatewaySettingsError(name, `${name}: not JSON (expected a JWKS document: {"keys": [...]})`);
  }
  const keys = typeof document === 'object' && document !== null ? (document as { keys?: unknown }).keys : undefined;
  if (!Array.isArray(keys) || keys.length === 0)
    throw new GatewaySettingsError(name, `${name}: no keys (expected a non-empty "keys" array)`);
  const converted = keys.map((key: unknown, index) => spkiKey(key, index, algorithms, name));
  if (converted.length > 1 && converted.some((key) => key.kid === undefined)) {
    throw new GatewaySettingsError(name, `${name}: with several keys each needs a "kid", so a token can name its key`);
  }
  const kids = converted.map((key) => key.kid);
  if (new Set(kids).size !== kids.length) throw new GatewaySettingsError(name, `${name}: two keys share a "kid"`);
  return converted;
}

function spkiKey(key: unknown, index: number, algorithms: ReadonlyArray<string>, name: string): SpkiKey {
  if (typeof key !== 'object' || key === null) throw new GatewaySettingsError(name, `${name}: key ${index} is not an object`);
  const jwk = key as JsonWebKey & { kid?: unknown; use?: unknown };
  const alg = jwkAlgorithm(jwk, index, name);
  if (!algorithms.includes(alg)) {
    throw new GatewaySettingsError(
      name,
      `${name}: key ${index} is ${alg}, which auth.jwt.algorithms (${algorithms.join(', ')}) does not accept`,
    );
  }
  if (jwk.use !== undefined && jwk.use !== 'sig')
    throw new GatewaySettingsError(name, `${name}: key ${index} has use ${JSON.stringify(jwk.use)}, not "sig"`);
  if (jwk.kid !== undefined && (typeof jwk.kid !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(jwk.kid))) {
    throw new GatewaySettingsError(name, `${name}: key ${index} has a "kid" that is not a short printable string`);
  }
  if (jwk.d !== undefined) throw new GatewaySettingsError(name, `${name}: key ${index} is a private key; give the public key only`);
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: jwk, format: 'jwk' });
  } catch (error) {
    throw new GatewaySettingsError(name, `${name}: key ${index} is not a valid ${alg} public key (${(error as Error).message})`);
  }
  const bits = publicKey.asymmetricKeyDetails?.modulusLength;
  if (alg === 'RS256' && (bits ?? 0) < minimumRsaBits) {
    throw new GatewaySettingsError(
      name,
      `${name}: key ${index} is a ${bits ?? 0}-bit RSA key; RS256 needs at least ${minimumRsaBits} bits`,
    );
  }
  const spki = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  return { ...(jwk.kid === undefined ? {} : { kid: jwk.kid }), alg, spki };
}

/** RS256 for RSA keys, ES256 for P-256 keys; anything else is refused by name. */
function jwkAlgorithm(jwk: JsonWebKey & { alg?: unknown }, index: number, name: string): 'RS256' | 'ES256' {
  const expected = jwk.kty === 'RSA' ? 'RS256' : jwk.kty === 'EC' && jwk.crv === 'P-256' ? 'ES256' : undefined;
  if (expected === undefined) {
    const what = jwk.kty === 'EC' ? `EC curve ${String(jwk.crv)}` : `kty ${String(jwk.kty)}`;
    throw new GatewaySettingsError(name, `${name}: key ${index} has unsupported ${what} (supported: RSA for RS256, EC P-256 for ES256)`);
  }
  if (jwk.alg !== undefined && jwk.alg !== expected) {
    throw new GatewaySettingsError(
      name,
      `${name}: key ${index} has unsupported alg ${shown(jwk.alg)} (a ${shown(jwk.kty)} key here is ${expected})`,
    );
  }
  return expected;
}

function apiKeyDigests(apiKeys: Record<string, string> | undefined, auth: GatewayAuth | undefined, name: string): Record<string, string> {
  if (!auth?.apiKeys) return {};
  const entries = Object.entries(apiKeys ?? {});
  if (entries.length === 0) throw new GatewaySettingsError(name, `${name}: API-key mode is on but no keys are configured`);
  const digests: Record<string, string> = {};
  for (const [client, key] of entries) {
    if (!clientNamePattern.test(client)) {
      throw new GatewaySettingsError(name, `${name}: client name '${client}' must be letters, digits, '.', '_' or '-' (at most 64)`);
    }
    if (key.length < minimumApiKeyLength || !/^[\x21-\x7e]+$/.test(key)) {
      throw new GatewaySettingsError(
        name,
        `${name}: the key of '${client}' must be at least ${minimumApiKeyLength} printable characters, no spaces`,
      );
    }
    const digest = createHash('sha256').update(key).digest('hex');
    if (digests[digest] !== undefined)
      throw new GatewaySettingsError(name, `${name}: '${client}' and '${digests[digest]}' have the same key`);
    digests[digest] = client;
  }
  return digests;
}

function pem(name: string, what: string, value: string | undefined, header: RegExp): string {
  if (value === undefined || !header.test(value)) {
    throw new GatewaySettingsError(name, `${name}: tls is on, so a PEM ${what} is required`);
  }
  return value.endsWith('\n') ? value : `${value}\n`;
}
