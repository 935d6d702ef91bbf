/**
 * The gateway's settings are read and checked once, by readGatewayPolicy: from a stack's config
 * keys or from `npm run local`'s GATEWAY_* variables alike, each mistake is a GatewaySettingsError
 * naming the key or the variable and what is valid, and what it returns the renderer takes as it is.
 */
import { strict as assert } from 'node:assert';
import {
  GatewaySettingsError,
  clusterPlatform,
  defaultGatewayPolicy,
  gatewayPorts,
  headlessServiceUpstream,
  readGatewayPolicy,
  renderGateway,
  settingReaders,
  type SettingSource,
} from '../../apps/gateway/src/index.js';
import { environmentSource, gatewayVariable } from '../../scripts/local/gateway-env.js';
import { gatewayTestKeys } from '../support/gateway-keys.js';
import { jwtSettings } from './support/tokens.js';

type Values = Record<string, string>;

/** The two ways settings are set: stack config keys (as `pulumi config` names them) and the local run's variables. */
const sources: Array<{ where: string; source: (values: Values) => SettingSource; nameOf: (key: string) => string }> = [
  {
    where: 'stack config',
    source: (values) => ({ get: (key) => values[key], nameOf: (key) => `books-gateway:${key}`, secretAdvice: 'set with --secret' }),
    nameOf: (key) => `books-gateway:${key}`,
  },
  {
    where: 'GATEWAY_* variables',
    source: (values) => environmentSource(Object.fromEntries(Object.entries(values).map(([key, value]) => [gatewayVariable(key), value]))),
    nameOf: gatewayVariable,
  },
];

/** A key with its issuer and audience, so that the JWT checks are reached. */
const withJwks = (values: Values): Values => ({
  jwtJwks: gatewayTestKeys().jwks,
  jwtIssuer: jwtSettings.issuer,
  jwtAudience: jwtSettings.audience,
  ...values,
});

/** Each mistake: the settings, the setting the error names, and what its message says is valid. */
const mistakes: Array<{ what: string; values: Values; names: string; valid: RegExp }> = [
  {
    what: 'a fractional burst',
    values: { rateLimitBurst: '1.5' },
    names: 'rateLimitBurst',
    valid: /must be a whole number of at least 0, got "1\.5"$/,
  },
  {
    what: 'a rate of 0',
    values: { rateLimitPerSecond: '0' },
    names: 'rateLimitPerSecond',
    valid: /must be a whole number of at least 1, got 0$/,
  },
  {
    what: 'a negative burst',
    values: { rateLimitBurst: '-1' },
    names: 'rateLimitBurst',
    valid: /must be a whole number of at least 0, got -1$/,
  },
  {
    what: 'a connection limit nginx refuses',
    values: { connectionsPerClient: '65536' },
    names: 'connectionsPerClient',
    valid: /must be a whole number from 1 to 65535, got 65536$/,
  },
  {
    what: 'a body size of 0, which nginx reads as no limit',
    values: { maxBodySize: '0' },
    names: 'maxBodySize',
    valid: /must be an nginx size above 0 such as 512k, 1m or 10m, got "0"$/,
  },
  { what: 'a body size nginx cannot read', values: { maxBodySize: '1 MB' }, names: 'maxBodySize', valid: /must be an nginx size above 0/ },
  {
    what: 'a wildcard origin',
    values: { corsOrigins: 'https://ok.example,*' },
    names: 'corsOrigins',
    valid: /wildcards are not allowed, list each origin/,
  },
  {
    what: 'an origin with a path',
    values: { corsOrigins: 'https://x.example/path' },
    names: 'corsOrigins',
    valid: /is not an origin: write http\(s\):\/\/host\[:port\]/,
  },
  {
    what: 'a boolean that is not one',
    values: { forwardCredentials: 'yes' },
    names: 'forwardCredentials',
    valid: /must be true or false, got "yes"$/,
  },
  {
    what: 'no algorithm',
    values: withJwks({ jwtAlgorithms: ',' }),
    names: 'jwtAlgorithms',
    valid: /must list at least one of RS256, ES256, HS256$/,
  },
  {
    what: 'the none algorithm',
    values: withJwks({ jwtAlgorithms: 'RS256,none' }),
    names: 'jwtAlgorithms',
    valid: /must not include "none"/,
  },
  {
    what: 'an unknown algorithm',
    values: withJwks({ jwtAlgorithms: 'PS256' }),
    names: 'jwtAlgorithms',
    valid: /"PS256" is not a supported algorithm; valid: RS256, ES256, HS256$/,
  },
  {
    what: 'an issuer nginx would misread',
    values: withJwks({ jwtIssuer: "https://x'; evil" }),
    names: 'jwtIssuer',
    valid: /must be printable ASCII without spaces, quotes/,
  },
  {
    what: 'an audience naming a variable',
    values: withJwks({ jwtAudience: '$host' }),
    names: 'jwtAudience',
    valid: /must be printable ASCII without spaces, quotes, backslashes or ; \{ \} \$/,
  },
  { what: 'a key without its certificate', values: { tlsKey: 'k' }, names: 'tlsKey', valid: /is set but .*tls_?certificate is not/i },
  {
    what: 'a JWKS without keys',
    values: withJwks({ jwtJwks: '[]' }),
    names: 'jwtJwks',
    valid: /: no keys \(expected a non-empty "keys" array\)$/,
  },
  {
    what: 'API keys that are not a JSON object',
    values: { apiKeys: 'ci=abc' },
    names: 'apiKeys',
    valid: /must be a JSON object of client name to key/,
  },
];

describe('the gateway settings, read and checked once', () => {
  for (const { where, source, nameOf } of sources) {
    for (const { what, values, names, valid } of mistakes) {
      it(`refuses ${what} from ${where}, naming ${nameOf(names)} and what is valid`, () => {
        assert.throws(
          () => readGatewayPolicy(source(values)),
          (error: unknown) => {
            assert.ok(error instanceof GatewaySettingsError, `a GatewaySettingsError, not ${String(error)}`);
            assert.equal(error.setting, nameOf(names));
            assert.ok(error.message.startsWith(nameOf(names)) || error.message.startsWith(`Missing ${nameOf(names)}`), error.message);
            assert.match(error.message, valid);
            assert.ok(!error.message.includes('\n'), 'one line');
            return true;
          },
        );
      });
    }
  }

  it('resolves valid values into what the renderer takes, each default applied', () => {
    const policy = readGatewayPolicy(
      settingReaders.recordSource(
        withJwks({
          rateLimitBurst: '0',
          corsOrigins: 'https://a.example, https://a.example',
          maxBodySize: '512k',
          jwtAlgorithms: 'RS256,ES256,RS256',
        }),
      ),
    );
    assert.deepEqual(policy.render, {
      auth: { jwt: { ...jwtSettings, algorithms: ['RS256', 'ES256'] }, apiKeys: false },
      rateLimit: { requestsPerSecond: 20, burst: 0, connectionsPerClient: 20 },
      corsOrigins: ['https://a.example'],
      clientMaxBodySize: { nginx: '512k', bytes: 512 * 1024 },
      tls: false,
      forwardCredentials: false,
    });
    assert.ok(policy.secretFiles, 'a key is configured: the secrets folder has its files');
    assert.equal(defaultGatewayPolicy().secretFiles, undefined, 'no credential, no certificate: no secret');
    assert.deepEqual(defaultGatewayPolicy().render.clientMaxBodySize, { nginx: '1m', bytes: 1024 ** 2 });
  });

  it('renders a resolved policy as it is: the renderer checks none of it again', () => {
    const policy = readGatewayPolicy(
      settingReaders.recordSource({ corsOrigins: 'http://localhost:5173', maxBodySize: '2m', rateLimitPerSecond: '7' }),
    );
    const conf =
      renderGateway({
        listenPort: gatewayPorts.public,
        books: headlessServiceUpstream('books', 'books-gateway', 5000),
        booksReact: headlessServiceUpstream('books-react', 'books-gateway', 3000),
        platform: clusterPlatform,
        ...policy.render,
      }).files['nginx.conf'] ?? '';
    assert.match(conf, /client_max_body_size 2m;/);
    // The map refusing a Content-Length above it: 2097153 and more, leading zeros or not.
    const announced = new RegExp(/map \$content_length \$gateway_announced_body_flaw \{\n\s*"~([^"]+)" 413;/.exec(conf)?.[1] ?? '^$');
    assert.deepEqual(
      ['2097152', '2097153', '002097153', '10000000', '999999'].map((length) => announced.test(length)),
      [false, true, true, true, false],
    );
    assert.match(conf, /rate=7r\/s;/);
    assert.match(conf, /http:\/\/localhost:5173/);
  });
});
