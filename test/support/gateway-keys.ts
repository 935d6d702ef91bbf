/**
 * Key material for the gateway's security settings, made fresh per test process (nothing secret
 * is kept in the repository): a JWKS with an RSA and an EC P-256 public key, and a self-signed
 * TLS certificate with its key (made by `openssl`, as Node cannot issue certificates).
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface GatewayTestKeys {
  /** JWKS JSON: `rsa-1` (RS256) and `ec-1` (ES256). */
  jwks: string;
  /** The JWKS keys as the renderer should convert them: base64 DER SPKI by kid. */
  spkiByKid: Record<string, string>;
  tlsCertificate: string;
  tlsKey: string;
  /** A private key that does not belong to `tlsCertificate`. */
  otherTlsKey: string;
}

let cached: GatewayTestKeys | undefined;

function spki(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'der' }).toString('base64');
}

function selfSignedCertificate(): { certificate: string; key: string } {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-tls-'));
  try {
    const [keyFile, certificateFile] = [path.join(folder, 'tls.key'), path.join(folder, 'tls.crt')];
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2'].concat([
        '-subj',
        '/CN=books.example.com',
        '-keyout',
        keyFile,
        '-out',
        certificateFile,
      ]),
      { stdio: 'ignore', timeout: 10_000 },
    );
    return { certificate: fs.readFileSync(certificateFile, 'utf8'), key: fs.readFileSync(keyFile, 'utf8') };
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

/** The keys, made once per process. */
export function gatewayTestKeys(): GatewayTestKeys {
  if (cached) return cached;
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
  const jwks = JSON.stringify({
    keys: [
      { ...rsa.export({ format: 'jwk' }), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...ec.export({ format: 'jwk' }), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ],
  });
  const tls = selfSignedCertificate();
  const otherTlsKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
  cached = {
    jwks,
    spkiByKid: { 'rsa-1': spki(rsa), 'ec-1': spki(ec) },
    tlsCertificate: tls.certificate,
    tlsKey: tls.key,
    otherTlsKey: otherTlsKey.toString(),
  };
  return cached;
}
