import { type KeyObject, createHmac, sign } from 'node:crypto';

/** How a token is signed: with the gateway's HS256 secret, or an ES256 private key and its `kid`. */
export type TokenSigner = { alg: 'HS256'; secret: string } | { alg: 'ES256'; key: KeyObject; kid: string };

const base64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

/** A compact JWS (RFC 7515) of `claims`. */
export function signToken(signer: TokenSigner, claims: Record<string, unknown>): string {
  const header = signer.alg === 'ES256' ? { alg: signer.alg, typ: 'JWT', kid: signer.kid } : { alg: signer.alg, typ: 'JWT' };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature =
    signer.alg === 'HS256'
      ? createHmac('sha256', signer.secret).update(signingInput).digest()
      : // JWS wants an ECDSA signature as r||s, not DER.
        sign('sha256', Buffer.from(signingInput), { key: signer.key, dsaEncoding: 'ieee-p1363' });
  return `${signingInput}.${base64url(signature)}`;
}
