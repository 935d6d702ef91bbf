/**
 * `npm run local` reads the gateway's settings from GATEWAY_* variables with the stack config's
 * own checks: what a developer sets is what the gateway gets, and every mistake names the variable.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatewaySettingsFromEnv } from '../../scripts/local/gateway-env.js';
import { LocalRunError } from '../../scripts/local/local-run-error.js';
import { gatewayPortFromEnv } from '../../scripts/toolkit/gateway-port.js';
import { UserError } from '../../scripts/toolkit/user-error.js';
import { jwtSettings, testIssuer } from '../gateway/support/tokens.js';

/** Asserts that the settings are refused with exactly `message`, on one line. */
function assertRefused(env: NodeJS.ProcessEnv, message: string | RegExp): void {
  assert.throws(
    () => gatewaySettingsFromEnv(env),
    (error: unknown) => {
      assert.ok(error instanceof LocalRunError, `a LocalRunError, not ${String(error)}`);
      if (typeof message === 'string') assert.equal(error.message, message);
      else assert.match(error.message, message);
      return !error.message.includes('\n');
    },
  );
}

describe('the local gateway settings from GATEWAY_* variables', () => {
  let folder: string;
  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'gateway-env-'));
  });
  after(() => rm(folder, { recursive: true, force: true }));

  it('gives the renderer defaults when none is set, and says what that means for writes', () => {
    const settings = gatewaySettingsFromEnv({ PATH: '/usr/bin' });
    assert.deepEqual(settings.gateway.auth, { jwt: undefined, apiKeys: false });
    assert.deepEqual(settings.gateway.clientMaxBodySize, { nginx: '1m', bytes: 1024 ** 2 });
    assert.match(settings.summary, /^Gateway settings: the defaults \(no JWT key or API key, so writes on \/books get 401/);
  });

  it('reads every policy setting, a JWKS from a file, and names them without a secret', async () => {
    const issuer = testIssuer();
    const jwksFile = join(folder, 'jwks.json');
    await writeFile(jwksFile, issuer.jwks);
    const apiKey = 'local-dev-key-0123456789abcdef';
    const settings = gatewaySettingsFromEnv({
      GATEWAY_JWT_JWKS_FILE: jwksFile,
      GATEWAY_JWT_HMAC_SECRET: issuer.hmacSecret,
      GATEWAY_JWT_ISSUER: jwtSettings.issuer,
      GATEWAY_JWT_AUDIENCE: jwtSettings.audience,
      GATEWAY_JWT_ALGORITHMS: 'RS256,ES256,HS256',
      GATEWAY_API_KEYS: JSON.stringify({ ci: apiKey, dev: `${apiKey}-2` }),
      GATEWAY_RATE_LIMIT_PER_SECOND: '5',
      GATEWAY_RATE_LIMIT_BURST: '0',
      GATEWAY_CONNECTIONS_PER_CLIENT: '3',
      GATEWAY_CORS_ORIGINS: 'http://localhost:5173, https://books.example.com',
      GATEWAY_MAX_BODY_SIZE: '512k',
      GATEWAY_FORWARD_CREDENTIALS: 'true',
    });
    assert.deepEqual(settings.gateway, {
      auth: { jwt: { ...jwtSettings, algorithms: ['RS256', 'ES256', 'HS256'] }, apiKeys: true },
      rateLimit: { requestsPerSecond: 5, burst: 0, connectionsPerClient: 3 },
      corsOrigins: ['http://localhost:5173', 'https://books.example.com'],
      clientMaxBodySize: { nginx: '512k', bytes: 512 * 1024 },
      tls: false,
      forwardCredentials: true,
    });
    assert.equal(settings.gatewaySecrets.jwks, issuer.jwks);
    assert.equal(settings.gatewaySecrets.hmacSecret, issuer.hmacSecret);
    assert.deepEqual(Object.keys(settings.gatewaySecrets.apiKeys ?? {}), ['ci', 'dev']);
    assert.equal(
      settings.summary,
      'Gateway settings: JWT RS256/ES256/HS256 (issuer https://issuer.test, audience books-gateway), API keys (2 clients), ' +
        'rate limit 5/s burst 0, 3 connections per client, CORS for http://localhost:5173 https://books.example.com, bodies up to 512k, ' +
        'credentials forwarded to the backends',
    );
  });

  it('drops one trailing newline of a _FILE secret (echo "$SECRET" > file), and nothing else', async () => {
    const secret = 'an HS256 secret of more than thirty-two characters';
    const read = async (contents: string) => {
      const file = join(folder, 'hmac-secret');
      await writeFile(file, contents);
      const env = {
        GATEWAY_JWT_HMAC_SECRET_FILE: file,
        GATEWAY_JWT_ALGORITHMS: 'HS256',
        GATEWAY_JWT_ISSUER: 'i',
        GATEWAY_JWT_AUDIENCE: 'a',
      };
      return gatewaySettingsFromEnv(env).gatewaySecrets.hmacSecret;
    };
    assert.equal(await read(`${secret}\n`), secret);
    assert.equal(await read(`${secret}\r\n`), secret);
    assert.equal(await read(secret), secret);
    assert.equal(await read(`${secret}\n\n`), `${secret}\n`, 'only one newline is dropped');
    assert.equal(await read(` ${secret} \n`), ` ${secret} `, 'spaces are part of the secret');
  });

  it('reads GATEWAY_PORT, 8080 when unset or empty, with the port rule the stack checks its Service ports with', () => {
    assert.equal(gatewayPortFromEnv({}), 8080);
    assert.equal(gatewayPortFromEnv({ GATEWAY_PORT: '' }), 8080);
    assert.equal(gatewayPortFromEnv({ GATEWAY_PORT: '9090' }), 9090);
    for (const [text, message] of [
      ['70000', 'GATEWAY_PORT must be a port number from 1 to 65535, got 70000'],
      ['http', 'GATEWAY_PORT must be a port number from 1 to 65535, got "http"'],
    ]) {
      assert.throws(
        () => gatewayPortFromEnv({ GATEWAY_PORT: text }),
        (error: unknown) => error instanceof UserError && error.message === message,
      );
    }
  });

  it('refuses each mistake naming the variable, as the stack config names the key', async () => {
    const notJson = join(folder, 'not-json.json');
    await writeFile(notJson, '{"keys": [');
    assertRefused({ GATEWAY_FORWARD_CREDENTIALS: 'yes' }, 'GATEWAY_FORWARD_CREDENTIALS must be true or false, got "yes"');
    assertRefused({ GATEWAY_RATE_LIMIT_PER_SECOND: '0' }, 'GATEWAY_RATE_LIMIT_PER_SECOND must be a whole number of at least 1, got 0');
    assertRefused({ GATEWAY_RATE_LIMIT_BURST: 'lots' }, 'GATEWAY_RATE_LIMIT_BURST must be a whole number of at least 0, got "lots"');
    assertRefused(
      { GATEWAY_CONNECTIONS_PER_CLIENT: '70000' },
      'GATEWAY_CONNECTIONS_PER_CLIENT must be a whole number from 1 to 65535, got 70000',
    );
    assertRefused({ GATEWAY_JWT_ALGORITHMS: 'RS256,none' }, /^GATEWAY_JWT_ALGORITHMS must not include "none"/);
    assertRefused(
      { GATEWAY_JWT_JWKS_FILE: notJson, GATEWAY_JWT_ISSUER: 'i', GATEWAY_JWT_AUDIENCE: 'a' },
      /^GATEWAY_JWT_JWKS_FILE: not JSON/,
    );
    assertRefused(
      { GATEWAY_JWT_JWKS_FILE: join(folder, 'missing.json') },
      /^GATEWAY_JWT_JWKS_FILE names .*missing\.json, which cannot be read \(ENOENT\)$/,
    );
    assertRefused({ GATEWAY_TLS_KEY: 'x', GATEWAY_TLS_KEY_FILE: notJson }, 'set GATEWAY_TLS_KEY or GATEWAY_TLS_KEY_FILE, not both');
    assertRefused(
      { GATEWAY_RATE_LIMIT: '5' },
      /^GATEWAY_RATE_LIMIT: not a gateway setting; the variables are GATEWAY_PORT, GATEWAY_JWT_JWKS, /,
    );
    const secretKey = 'short-secret-key';
    assertRefused(
      { GATEWAY_API_KEYS: JSON.stringify({ ci: secretKey }) },
      /^GATEWAY_API_KEYS: the key of 'ci' must be at least 24 printable characters/,
    );
    assert.throws(
      () => gatewaySettingsFromEnv({ GATEWAY_API_KEYS: `{"ci": "${secretKey}"` }),
      (error: Error) => !error.message.includes(secretKey) && /must be a JSON object of client name to key/.test(error.message),
      'a malformed API key list is refused without quoting it',
    );
  });
});
