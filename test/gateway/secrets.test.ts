import { strict as assert } from 'node:assert';
import { createHash, generateKeyPairSync } from 'node:crypto';
import {
  type GatewayRenderInput,
  type SecretsSettings,
  clusterPlatform,
  gatewayPorts,
  headlessServiceUpstream,
  renderGateway,
  renderGatewaySecrets,
  secretFiles,
  validateGatewaySecrets,
} from '../../apps/gateway/src/index.js';
import { jwtSettings, testIssuer } from './support/tokens.js';

const jwt: SecretsSettings = { auth: { jwt: jwtSettings } };
const rsaJwk = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
const jwks = (...keys: unknown[]) => JSON.stringify({ keys });

describe('the gateway secrets renderer', () => {
  it('converts the JWKS to SPKI keys and stores API keys only as digests', () => {
    const issuer = testIssuer();
    const files = renderGatewaySecrets(
      { jwks: issuer.jwks, apiKeys: { robot: 'robot-key-0123456789-abcdefghij' } },
      { auth: { jwt: jwtSettings, apiKeys: true } },
    );
    const material = JSON.parse(files[secretFiles.jwtKeys] ?? '') as { keys: Array<{ kid: string; alg: string; spki: string }> };
    assert.deepEqual(
      material.keys.map(({ kid, alg }) => [kid, alg]),
      [
        ['rsa-1', 'RS256'],
        ['ec-1', 'ES256'],
      ],
    );
    for (const { spki } of material.keys) assert.match(spki, /^M[A-Za-z0-9+/]+=*$/, 'base64 DER');
    const apiKeys = files[secretFiles.apiKeys] ?? '';
    assert.ok(!apiKeys.includes('robot-key'), 'no API key in clear');
    assert.deepEqual(JSON.parse(apiKeys), { [createHash('sha256').update('robot-key-0123456789-abcdefghij').digest('hex')]: 'robot' });
    assert.deepEqual(Object.keys(files).sort(), [secretFiles.apiKeys, secretFiles.jwtKeys].sort(), 'no TLS files without tls');
  });

  it('needs no secret for the default policy (every write refused)', () => {
    assert.doesNotThrow(() => validateGatewaySecrets({}));
  });

  it('refuses bad secrets with a message naming what is wrong', () => {
    const ecKey = (crv: 'P-384' | 'P-256') => generateKeyPairSync('ec', { namedCurve: crv }).publicKey.export({ format: 'jwk' });
    const cases: Array<[what: string, secrets: Parameters<typeof renderGatewaySecrets>[0], settings: SecretsSettings, message: RegExp]> = [
      ['no JWKS', {}, jwt, /jwks: a JWKS is required to verify RS256\/ES256 tokens/],
      ['not JSON', { jwks: '{keys:' }, jwt, /jwks: not JSON/],
      ['no keys', { jwks: '{"keys":[]}' }, jwt, /jwks: no keys/],
      ['keys not an array', { jwks: '{"keys":{}}' }, jwt, /jwks: no keys/],
      ['a key not an object', { jwks: '{"keys":[42]}' }, jwt, /jwks: key 0 is not an object/],
      ['kty oct', { jwks: jwks({ kty: 'oct', k: 'c2VjcmV0' }) }, jwt, /key 0 has unsupported kty oct/],
      ['kty OKP', { jwks: jwks({ kty: 'OKP', crv: 'Ed25519', x: 'AA' }) }, jwt, /key 0 has unsupported kty OKP/],
      ['EC P-384', { jwks: jwks(ecKey('P-384')) }, jwt, /key 0 has unsupported EC curve P-384/],
      ['alg RS512', { jwks: jwks({ ...rsaJwk(), alg: 'RS512' }) }, jwt, /key 0 has unsupported alg RS512/],
      ['use enc', { jwks: jwks({ ...rsaJwk(), use: 'enc' }) }, jwt, /key 0 has use "enc", not "sig"/],
      [
        'private key',
        { jwks: jwks(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' })) },
        jwt,
        /key 0 is a private key/,
      ],
      ['RSA without modulus', { jwks: jwks({ kty: 'RSA', e: 'AQAB' }) }, jwt, /key 0 is not a valid RS256 public key/],
      [
        '17-bit RSA key',
        { jwks: jwks({ kty: 'RSA', n: 'AQAB', e: 'AQAB' }) },
        jwt,
        /key 0 is a 17-bit RSA key; RS256 needs at least 2048 bits/,
      ],
      ['several keys, one without kid', { jwks: jwks({ ...rsaJwk(), kid: 'a' }, rsaJwk()) }, jwt, /each needs a "kid"/],
      ['duplicate kid', { jwks: jwks({ ...rsaJwk(), kid: 'a' }, { ...rsaJwk(), kid: 'a' }) }, jwt, /two keys share a "kid"/],
      [
        'ES256 key when only RS256 pinned',
        { jwks: jwks(ecKey('P-256')) },
        { auth: { jwt: { ...jwtSettings, algorithms: ['RS256'] } } },
        /key 0 is ES256, which auth\.jwt\.algorithms \(RS256\) does not accept/,
      ],
      [
        'HS256 without secret',
        {},
        { auth: { jwt: { ...jwtSettings, algorithms: ['HS256'] } } },
        /hmacSecret: HS256 needs a shared secret of at least 32/,
      ],
      ['HS256 short secret', { hmacSecret: 'short' }, { auth: { jwt: { ...jwtSettings, algorithms: ['HS256'] } } }, /hmacSecret/],
      ['API keys on, none given', {}, { auth: { apiKeys: true } }, /apiKeys: API-key mode is on but no keys are configured/],
      ['short API key', { apiKeys: { robot: 'short' } }, { auth: { apiKeys: true } }, /the key of 'robot' must be at least 24/],
      ['API key with a space', { apiKeys: { robot: 'a key with spaces in it, long enough' } }, { auth: { apiKeys: true } }, /no spaces/],
      ['bad client name', { apiKeys: { 'robot "1"': 'k'.repeat(30) } }, { auth: { apiKeys: true } }, /client name 'robot "1"'/],
      [
        'two clients, one key',
        { apiKeys: { a: 'k'.repeat(30), b: 'k'.repeat(30) } },
        { auth: { apiKeys: true } },
        /'b' and 'a' have the same key/,
      ],
      [
        'TLS without certificate',
        { tlsKey: '-----BEGIN PRIVATE KEY-----' },
        { tls: true },
        /tlsCertificate: tls is on, so a PEM certificate is required/,
      ],
      [
        'TLS without key',
        { tlsCertificate: '-----BEGIN CERTIFICATE-----' },
        { tls: true },
        /tlsKey: tls is on, so a PEM private key is required/,
      ],
    ];
    for (const [what, secrets, settings, message] of cases) {
      assert.throws(() => renderGatewaySecrets(secrets, settings), message, what);
    }
  });

  it('keeps every secret out of the rendered configuration, which names the files by path', () => {
    const input: GatewayRenderInput = {
      listenPort: gatewayPorts.public,
      books: headlessServiceUpstream('books', 'books-gateway', 5000),
      booksReact: headlessServiceUpstream('books-react', 'books-gateway', 3000),
      platform: clusterPlatform,
      auth: { jwt: { ...jwtSettings, algorithms: ['RS256', 'HS256'] }, apiKeys: true },
      tls: true,
    };
    const secrets = renderGatewaySecrets(
      {
        jwks: jwks({ ...rsaJwk(), kid: 'k' }),
        hmacSecret: 'h'.repeat(40),
        apiKeys: { robot: 'robot-key-0123456789-abcdefghij' },
        tlsCertificate: '-----BEGIN CERTIFICATE-----\nQ0VSVA==\n',
        tlsKey: '-----BEGIN PRIVATE KEY-----\nS0VZ\n',
      },
      input,
    );
    const config = Object.values(renderGateway(input).files).join('\n');
    for (const value of [...Object.values(secrets), 'h'.repeat(40), 'robot-key-0123456789', 'Q0VSVA==', 'S0VZ']) {
      assert.ok(!config.includes(value.trim()), 'no secret in the ConfigMap');
    }
    assert.match(config, /ssl_certificate \/etc\/nginx\/gateway-secrets\/tls\.crt;/);
    assert.match(config, /set \$gateway_secrets_dir '\/etc\/nginx\/gateway-secrets';/);
  });
});
