import { type KeyObject, createHmac, generateKeyPairSync, sign } from 'node:crypto';

/** Signing keys of a token issuer under test, and their public JWKS. */
export interface TestIssuer {
  rsa: KeyObject;
  ec: KeyObject;
  hmacSecret: string;
  /** The public keys as the operator would configure them (kid `rsa-1`, `ec-1`). */
  jwks: string;
}

export function testIssuer(): TestIssuer {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwks = {
    keys: [
      { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...ec.publicKey.export({ format: 'jwk' }), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ],
  };
  return {
    rsa: rsa.privateKey,
    ec: ec.privateKey,
    hmacSecret: 'an HS256 secret of more than thirty-two characters',
    jwks: JSON.stringify(jwks),
  };
}

const base64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

export type Algorithm = 'RS256' | 'ES256' | 'HS256' | 'none';

/** A compact JWS as an identity provider would issue it; `header` and `claims` override. */
export function signToken(
  issuer: TestIssuer,
  alg: Algorithm,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
): string {
  const kid = alg === 'RS256' ? 'rsa-1' : alg === 'ES256' ? 'ec-1' : undefined;
  return signJson(issuer, alg, JSON.stringify({ alg, typ: 'JWT', ...(kid ? { kid } : {}), ...header }), JSON.stringify(claims));
}

/**
 * A compact JWS of header and claims exactly as written, validly signed with `alg`: for JSON
 * that JSON.stringify would never make (a key twice, `1e400`).
 */
export function signJson(issuer: TestIssuer, alg: Algorithm, headerJson: string, claimsJson: string): string {
  const signingInput = `${base64url(headerJson)}.${base64url(claimsJson)}`;
  const signature =
    alg === 'RS256'
      ? sign('sha256', Buffer.from(signingInput), issuer.rsa)
      : alg === 'ES256'
        ? // JWS wants ECDSA signatures as r||s, not DER.
          sign('sha256', Buffer.from(signingInput), { key: issuer.ec, dsaEncoding: 'ieee-p1363' })
        : alg === 'HS256'
          ? createHmac('sha256', issuer.hmacSecret).update(signingInput).digest()
          : Buffer.alloc(0);
  return `${signingInput}.${base64url(signature)}`;
}

/** Claims valid for the next hour, for this issuer and audience. */
export function validClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { iss: 'https://issuer.test', aud: 'books-gateway', sub: 'alice', iat: now, nbf: now - 5, exp: now + 3600, ...overrides };
}

export const jwtSettings = { issuer: 'https://issuer.test', audience: 'books-gateway' } as const;
