/**
 * Every mistake in the gateway's security and limit keys fails before the first resource is
 * registered, naming the key and what is valid, and never quoting a secret it was given.
 */
import assert from 'node:assert/strict';
import { gatewayTestKeys, type GatewayTestKeys } from '../../support/gateway-keys.js';
import { runProgramExpectingError } from '../../../scripts/capture/program-run.js';
import { securedDockerDesktop } from '../../support/scenarios.js';

type Config = Record<string, string>;

const without = (config: Config, ...keys: string[]) => Object.fromEntries(Object.entries(config).filter(([name]) => !keys.includes(name)));

const rsaOnlyJwks = (keys: GatewayTestKeys) => JSON.stringify({ keys: [JSON.parse(keys.jwks).keys[0]] });

const cases: Array<{ what: string; config: (base: Config, keys: GatewayTestKeys) => Config; message: RegExp[] }> = [
  {
    what: 'a JWKS that is not JSON',
    config: (base) => ({ ...base, jwtJwks: '{"keys": [' }),
    message: [/books-gateway:jwtJwks: not JSON/],
  },
  {
    what: 'a JWKS holding a private key',
    config: (base) => ({
      ...base,
      jwtJwks: JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'secret-d' }] }),
    }),
    message: [/books-gateway:jwtJwks: key 0 is a private key/],
  },
  {
    what: 'a JWKS key with an algorithm that is not accepted',
    config: (base, keys) => ({ ...base, jwtJwks: rsaOnlyJwks(keys), jwtAlgorithms: 'ES256' }),
    message: [/books-gateway:jwtJwks: key 0 is RS256/],
  },
  {
    what: 'jwtJwks without jwtIssuer',
    config: (base) => without(base, 'jwtIssuer'),
    message: [/Missing books-gateway:jwtIssuer/, /books-gateway:jwtJwks/],
  },
  {
    what: 'jwtJwks without jwtAudience',
    config: (base) => without(base, 'jwtAudience'),
    message: [/Missing books-gateway:jwtAudience/],
  },
  {
    what: 'jwtIssuer without any key',
    config: (base) => without(base, 'jwtJwks'),
    message: [/books-gateway:jwtIssuer is set but no key verifies tokens/, /books-gateway:jwtJwks/],
  },
  {
    what: 'an unknown algorithm',
    config: (base) => ({ ...base, jwtAlgorithms: 'RS256,PS256' }),
    message: [/books-gateway:jwtAlgorithms: "PS256" is not a supported algorithm; valid: RS256, ES256, HS256/],
  },
  {
    what: 'the none algorithm',
    config: (base) => ({ ...base, jwtAlgorithms: 'RS256,none' }),
    message: [/books-gateway:jwtAlgorithms must not include "none"/, /unsigned tokens/],
  },
  {
    what: 'an HS256 secret that HS256 does not use',
    config: (base) => ({ ...base, jwtHmacSecret: 'h'.repeat(40) }),
    message: [/books-gateway:jwtHmacSecret is set but books-gateway:jwtAlgorithms does not accept HS256/],
  },
  {
    what: 'an HS256 secret too short',
    config: (base) => ({ ...base, jwtAlgorithms: 'RS256,ES256,HS256', jwtHmacSecret: 'short-hmac' }),
    message: [/books-gateway:jwtHmacSecret: HS256 needs a shared secret of at least 32 characters/],
  },
  {
    what: 'apiKeys that are not JSON',
    config: (base) => ({ ...base, apiKeys: 'ci=abcdefabcdefabcdefabcdef' }),
    message: [/books-gateway:apiKeys must be a JSON object of client name to key/],
  },
  {
    what: 'an API key too short',
    config: (base) => ({ ...base, apiKeys: JSON.stringify({ ci: 'tiny-key' }) }),
    message: [/books-gateway:apiKeys: the key of 'ci' must be at least 24 printable characters/],
  },
  {
    what: 'a rate of 0',
    config: (base) => ({ ...base, rateLimitPerSecond: '0' }),
    message: [/books-gateway:rateLimitPerSecond must be a whole number of at least 1, got 0/],
  },
  {
    what: 'a rate that is not a number',
    config: (base) => ({ ...base, rateLimitPerSecond: 'fast' }),
    message: [/books-gateway:rateLimitPerSecond must be a whole number of at least 1, got "fast"/],
  },
  {
    what: 'a negative burst',
    config: (base) => ({ ...base, rateLimitBurst: '-1' }),
    message: [/books-gateway:rateLimitBurst must be a whole number of at least 0, got -1/],
  },
  {
    what: 'no connection allowed',
    config: (base) => ({ ...base, connectionsPerClient: '0' }),
    message: [/books-gateway:connectionsPerClient must be a whole number from 1 to 65535, got 0/],
  },
  {
    what: 'more connections than nginx can count',
    config: (base) => ({ ...base, connectionsPerClient: '65536' }),
    message: [/books-gateway:connectionsPerClient must be a whole number from 1 to 65535, got 65536/],
  },
  {
    what: 'a CORS origin with a path',
    config: (base) => ({ ...base, corsOrigins: 'https://books.example.com/app' }),
    message: [
      /books-gateway:corsOrigins: "https:\/\/books\.example\.com\/app" is not an origin/,
      /did you mean "https:\/\/books\.example\.com"/,
    ],
  },
  {
    what: 'a CORS origin in upper case, as no browser sends it',
    config: (base) => ({ ...base, corsOrigins: 'https://Books.Example.com' }),
    message: [/books-gateway:corsOrigins: "https:\/\/Books\.Example\.com" is not an origin/],
  },
  {
    what: 'a CORS wildcard',
    config: (base) => ({ ...base, corsOrigins: '*' }),
    message: [/books-gateway:corsOrigins: wildcards are not allowed/],
  },
  {
    what: 'a body size of 0, which would lift the limit',
    config: (base) => ({ ...base, maxBodySize: '0' }),
    message: [/books-gateway:maxBodySize must be an nginx size above 0 such as 512k, 1m or 10m, got "0"/],
  },
  {
    what: 'a body size nginx cannot read',
    config: (base) => ({ ...base, maxBodySize: '1 MB' }),
    message: [/books-gateway:maxBodySize must be an nginx size/],
  },
  {
    what: 'forwardCredentials that is not a boolean',
    config: (base) => ({ ...base, forwardCredentials: 'yes' }),
    message: [/books-gateway:forwardCredentials must be true or false, got "yes"/],
  },
  {
    what: 'a TLS certificate without its key',
    config: (base) => without(base, 'tlsKey'),
    message: [/books-gateway:tlsCertificate is set but books-gateway:tlsKey is not/],
  },
  {
    what: 'a TLS key without its certificate',
    config: (base) => without(base, 'tlsCertificate'),
    message: [/books-gateway:tlsKey is set but books-gateway:tlsCertificate is not/],
  },
  {
    what: 'a TLS key of another certificate',
    config: (base, keys) => ({ ...base, tlsKey: keys.otherTlsKey }),
    message: [/books-gateway:tlsKey is not the private key of the first certificate in books-gateway:tlsCertificate/],
  },
  {
    what: 'a TLS certificate that is not PEM',
    config: (base) => ({ ...base, tlsCertificate: 'not a certificate' }),
    message: [/books-gateway:tlsCertificate is not a PEM certificate/],
  },
];

describe('gateway config errors', () => {
  for (const { what, config, message } of cases) {
    it(`${what}: fails before any resource, naming the key`, async () => {
      const keys = gatewayTestKeys();
      const scenario = securedDockerDesktop(keys);
      const failure = await runProgramExpectingError({ ...scenario, config: config(scenario.config, keys) });
      for (const pattern of message) assert.match(failure.error.message, pattern);
      assert.deepEqual(
        failure.resources.map((resource) => `${resource.type} ${resource.name}`),
        [],
        'nothing may be registered before the config is known to be good',
      );
      for (const secret of ['abcdefabcdef', 'tiny-key', 'secret-d', 'short-hmac', 'PRIVATE KEY']) {
        assert.ok(!failure.error.message.includes(secret), `the message quotes a secret: ${failure.error.message}`);
      }
    });
  }
});
