import { type JsonWebKey, type KeyObject, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { LocalRunError } from './local-run-error.js';

/**
 * The development key pair: an ES256 key that `npm run local -- --dev-jwt` loads as the
 * gateway's JWKS and `npm run token` signs with, so a developer gets real RS256/ES256-style
 * tokens without an identity provider. The private key lives in the checkout's git-ignored
 * `.local/` folder, readable by its owner only; deleting the file makes a new key.
 */
export const devKeyFile = join(__dirname, '..', '..', '.local', 'dev-jwt-key.json');

/** The `iss` and `aud` of development tokens, unless GATEWAY_JWT_ISSUER / GATEWAY_JWT_AUDIENCE say otherwise. */
export const devTokenDefaults = { issuer: 'books-gateway-local', audience: 'books-gateway' } as const;

const kid = 'local-dev-1';

export interface DevKey {
  privateKey: KeyObject;
  kid: string;
  /** The public key as a JWKS document, as GATEWAY_JWT_JWKS takes it. */
  jwks: string;
}

function readKey(): JsonWebKey | undefined {
  try {
    return JSON.parse(readFileSync(devKeyFile, 'utf8')) as JsonWebKey;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new LocalRunError(
      `${relative(process.cwd(), devKeyFile)} is not a key (${(error as Error).message}); delete it to make a new one`,
    );
  }
}

/** The development key pair, made (0600, in a 0700 folder) the first time it is asked for. */
export function devKey(): DevKey {
  let jwk = readKey();
  if (jwk === undefined) {
    jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    mkdirSync(dirname(devKeyFile), { recursive: true, mode: 0o700 });
    // `wx`: two commands making the key at once keep the first one's.
    try {
      writeFileSync(devKeyFile, `${JSON.stringify(jwk)}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      jwk = readKey() ?? jwk;
    }
  }
  // A copy made with a loose umask or by hand is made private again.
  chmodSync(devKeyFile, 0o600);
  const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  const publicJwk = createPublicKey(privateKey).export({ format: 'jwk' });
  return { privateKey, kid, jwks: JSON.stringify({ keys: [{ ...publicJwk, kid, alg: 'ES256', use: 'sig' }] }) };
}

/**
 * `env` with the development key as the gateway's JWKS, and the development issuer and
 * audience unless set. A JWKS of one's own and the development key exclude each other.
 */
export function withDevJwks(env: NodeJS.ProcessEnv, jwks: string): NodeJS.ProcessEnv {
  for (const variable of ['GATEWAY_JWT_JWKS', 'GATEWAY_JWT_JWKS_FILE']) {
    if (env[variable]) throw new LocalRunError(`--dev-jwt loads the development key as the JWKS: unset ${variable}, or drop --dev-jwt`);
  }
  return {
    ...env,
    GATEWAY_JWT_JWKS: jwks,
    GATEWAY_JWT_ISSUER: env['GATEWAY_JWT_ISSUER'] || devTokenDefaults.issuer,
    GATEWAY_JWT_AUDIENCE: env['GATEWAY_JWT_AUDIENCE'] || devTokenDefaults.audience,
  };
}
