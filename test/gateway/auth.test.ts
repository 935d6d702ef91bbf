import { strict as assert } from 'node:assert';
import { useEchoGateway } from './support/echo-gateway.js';
import { type Reply, rawRequest, request } from './support/http.js';
import { nginxBuildNames, nginxBuilds } from './support/nginx-builds.js';
import { eventually } from '../../scripts/toolkit/eventually.js';
import { jsonLogRecords } from './support/access-log.js';
import { useLocalSystem } from './support/system.js';
import { jwtSettings, signJson, signToken, testIssuer, validClaims } from './support/tokens.js';
import { assertCreatedBy, newBookBody } from '../support/book-writes.js';

const issuer = testIssuer();
const robotKey = 'robot-key-0123456789-abcdefghij';
const secrets = { jwks: issuer.jwks, hmacSecret: issuer.hmacSecret, apiKeys: { robot: robotKey } };

/**
 * A refusal of the gateway: 401, JSON with the reason, the reason again in X-Auth-Error, and a
 * Bearer challenge that also says it when a credential was presented.
 */
function assertRefused(reply: Reply, reason: string, what: string): void {
  assert.equal(reply.status, 401, `${what}: status`);
  assert.match(reply.headers.get('content-type') ?? '', /^application\/json/, what);
  const body = JSON.parse(reply.body) as { error: string; reason: string; requestId: string };
  assert.equal(body.error, 'unauthorized', what);
  assert.equal(body.reason, reason, what);
  assert.equal(body.requestId, reply.headers.get('x-request-id'), what);
  assert.equal(reply.headers.get('x-auth-error'), reason, `${what}: X-Auth-Error`);
  const challenge = reply.headers.get('www-authenticate') ?? '';
  assert.match(challenge, /^Bearer realm="books-gateway"/, `${what}: challenge`);
  if (reason !== 'credentials required')
    assert.equal(challenge, `Bearer realm="books-gateway", error="invalid_token", error_description="${reason}"`, what);
}

const post = (url: string, headers: Record<string, string> = {}) =>
  request(url, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', ...headers } });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('authentication at the gateway, in front of the real books API', function () {
  this.timeout(30000);
  const { system } = useLocalSystem({
    gateway: { auth: { jwt: { ...jwtSettings, algorithms: ['RS256', 'ES256', 'HS256'] }, apiKeys: true } },
    gatewaySecrets: secrets,
  });
  const books = () => `${system().gateway.url}/books`;

  it('lets anyone read the books and the page, without credentials', async () => {
    assert.equal((await request(books())).status, 200);
    assert.equal((await request(`${books()}/1788395549`)).status, 200);
    assert.equal((await request(`${system().gateway.url}/`)).status, 200);
  });

  it('refuses a write without credentials with 401 before it reaches the API', async () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const reply = await request(`${books()}/1788395549`, { method });
      assertRefused(reply, 'credentials required', method);
      assert.doesNotMatch(reply.headers.get('www-authenticate') ?? '', /error=/, 'no error code without credentials');
    }
  });

  it('lets a write with a valid RS256, ES256 or HS256 token or API key through to the API, which records who wrote it', async () => {
    const credentials: Array<[string, Record<string, string>, string]> = [
      ['RS256', bearer(signToken(issuer, 'RS256', validClaims({ sub: 'rs-writer' }))), 'rs-writer'],
      ['ES256', bearer(signToken(issuer, 'ES256', validClaims({ sub: 'es-writer' }))), 'es-writer'],
      ['HS256', bearer(signToken(issuer, 'HS256', validClaims({ sub: 'hs-writer' }))), 'hs-writer'],
      ['API key', { 'x-api-key': robotKey }, 'robot'],
    ];
    for (const [what, headers, subject] of credentials) {
      const reply = await request(books(), {
        method: 'POST',
        body: newBookBody(),
        headers: { 'content-type': 'application/json', ...headers },
      });
      assertCreatedBy(reply, subject, what);
    }
  });

  it('answers every bad token with 401, a JSON reason and a Bearer challenge', async () => {
    const valid = signToken(issuer, 'RS256', validClaims());
    const [head, payload] = valid.split('.');
    const now = Math.floor(Date.now() / 1000);
    const otherIssuer = testIssuer();
    const cases: Array<[what: string, token: string, reason: string]> = [
      ['alg none', `${signToken(issuer, 'none', validClaims())}`, 'algorithm not accepted'],
      [
        'alg none, signature kept',
        `${signToken(issuer, 'none', validClaims()).slice(0, -1)}.${valid.split('.')[2]}`,
        'algorithm not accepted',
      ],
      [
        'payload changed after signing',
        `${head}.${Buffer.from(JSON.stringify(validClaims({ sub: 'mallory' }))).toString('base64url')}.${valid.split('.')[2]}`,
        'bad signature',
      ],
      ['signed by another RSA key', signToken(otherIssuer, 'RS256', validClaims()), 'bad signature'],
      ['signed by another EC key', signToken(otherIssuer, 'ES256', validClaims()), 'bad signature'],
      ['signed with another HMAC secret', signToken({ ...issuer, hmacSecret: 'x'.repeat(40) }, 'HS256', validClaims()), 'bad signature'],
      ['unknown kid', signToken(issuer, 'RS256', validClaims(), { kid: 'rsa-9' }), 'unknown signing key'],
      ['expired an hour ago', signToken(issuer, 'ES256', validClaims({ exp: now - 3600 })), 'token expired'],
      ['valid only from tomorrow', signToken(issuer, 'RS256', validClaims({ nbf: now + 86400 })), 'token not yet valid'],
      ['no expiry', signToken(issuer, 'RS256', validClaims({ exp: undefined })), 'token has no expiry'],
      ['wrong issuer', signToken(issuer, 'RS256', validClaims({ iss: 'https://evil.test' })), 'wrong issuer'],
      ['wrong audience', signToken(issuer, 'ES256', validClaims({ aud: 'another-api' })), 'wrong audience'],
      ['audience list without ours', signToken(issuer, 'RS256', validClaims({ aud: ['a', 'b'] })), 'wrong audience'],
      ['no subject', signToken(issuer, 'RS256', validClaims({ sub: undefined })), 'token has no valid subject'],
      ['alg RS512', signToken(issuer, 'RS256', validClaims(), { alg: 'RS512' }), 'algorithm not accepted'],
      ['two parts', `${head}.${payload}`, 'malformed token'],
      ['not base64', 'abc!.def.ghi', 'malformed token'],
      ['header not JSON', `${Buffer.from('{oops').toString('base64url')}.${payload}.AAAA`, 'malformed token'],
      ['garbage', 'garbage', 'malformed token'],
    ];
    for (const [what, token, reason] of cases) assertRefused(await post(books(), bearer(token)), reason, what);
    assertRefused(
      await post(books(), { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }),
      'not a bearer token',
      'Basic auth',
    );
    assertRefused(await post(books(), { 'x-api-key': 'not-a-key-of-anyone-at-all-here' }), 'unknown API key', 'wrong API key');
  });

  it('logs how each write was authenticated, or why it was refused', async () => {
    const accepted = `auth-ok-${Date.now()}`;
    const refused = `auth-no-${Date.now()}`;
    await request(books(), {
      method: 'POST',
      body: newBookBody(),
      headers: { 'content-type': 'application/json', ...bearer(signToken(issuer, 'ES256', validClaims())), 'x-request-id': accepted },
    });
    await post(books(), { ...bearer(signToken(issuer, 'ES256', validClaims({ aud: 'x' }))), 'x-request-id': refused });
    const entries = () => jsonLogRecords(system().gateway.accessLog);
    await eventually(
      'both requests are logged',
      async () => (await entries()).filter((e) => [accepted, refused].includes(String(e['requestId']))).length === 2,
    );
    const byId = new Map((await entries()).map((entry) => [entry['requestId'], entry]));
    assert.deepEqual(
      [accepted, refused].map((id) => ({
        route: byId.get(id)?.['route'],
        status: byId.get(id)?.['status'],
        auth: byId.get(id)?.['auth'],
        authError: byId.get(id)?.['authError'],
      })),
      [
        { route: 'books', status: 201, auth: 'jwt', authError: '' },
        { route: 'books', status: 401, auth: '', authError: 'wrong audience' },
      ],
    );
  });
});

for (const build of nginxBuilds) {
  describe(`the verified identity passed to the backend, on ${nginxBuildNames[build]}`, function () {
    this.timeout(30000);
    // Only ES256 accepted here: pinning shows as a refused, correctly signed RS256 token.
    const gateway = useEchoGateway(
      { auth: { jwt: { ...jwtSettings, algorithms: ['ES256'] }, apiKeys: true } },
      () => ({
        jwks: JSON.stringify({
          keys: (JSON.parse(issuer.jwks) as { keys: { kid: string }[] }).keys.filter((key: { kid: string }) => key.kid === 'ec-1'),
        }),
        apiKeys: { robot: robotKey },
      }),
      build,
    );
    const lastSeen = () => gateway().seen.at(-1);

    it('is the token subject or API client in X-Auth-Subject, and cannot be forged', async () => {
      const forged = { 'x-auth-subject': 'admin', 'x-auth-method': 'jwt' };
      const accepted = await post(`${gateway().url}/books`, {
        ...forged,
        ...bearer(signToken(issuer, 'ES256', validClaims({ sub: 'alice' }))),
      });
      assert.equal(accepted.status, 200, accepted.body);
      assert.equal(lastSeen()?.headers['x-auth-subject'], 'alice');
      assert.equal(lastSeen()?.headers['x-auth-method'], 'jwt');
      assert.equal(lastSeen()?.method, 'POST');
      assert.equal(lastSeen()?.url, '/books');
      assert.equal(lastSeen()?.headers['x-gateway-write-method'], undefined, 'the relay keeps its own header to itself');

      assert.equal((await post(`${gateway().url}/books/1?x=1`, { ...forged, 'x-api-key': robotKey })).status, 200);
      assert.equal(lastSeen()?.headers['x-auth-subject'], 'robot');
      assert.equal(lastSeen()?.headers['x-auth-method'], 'api-key');
      assert.equal(lastSeen()?.url, '/books/1?x=1', 'path and query reach the API unchanged');
      for (const method of ['PUT', 'PATCH', 'DELETE']) {
        const reply = await request(`${gateway().url}/books/1%2F2?x=%0A`, {
          method,
          body: '{"title":"t"}',
          headers: { ...forged, 'content-type': 'application/json', 'x-api-key': robotKey, 'x-gateway-write-method': 'GET' },
        });
        assert.equal(reply.status, 200, `${method}: ${reply.body}`);
        assert.deepEqual(
          [
            lastSeen()?.method,
            lastSeen()?.url,
            lastSeen()?.headers['x-auth-subject'],
            lastSeen()?.headers['x-gateway-write-method'],
            gateway().bodyBytes.at(-1),
          ],
          [method, '/books/1%2F2?x=%0A', 'robot', undefined, 13],
          `${method} reaches the API as sent, with its body, through the relay of writes`,
        );
      }

      for (const path of ['/books', '/']) {
        assert.equal((await request(`${gateway().url}${path}`, { headers: forged })).status, 200);
        assert.equal(lastSeen()?.headers['x-auth-subject'], undefined, `${path}: a client's own X-Auth-Subject is dropped`);
        assert.equal(lastSeen()?.headers['x-auth-method'], undefined, path);
      }
    });

    it('tells the backend the client address and scheme it saw, whatever the client claims', async () => {
      const claims = {
        'x-forwarded-for': '203.0.113.9',
        'x-real-ip': '203.0.113.9',
        forwarded: 'for=203.0.113.9;proto=https;host=evil.example',
        'x-forwarded-proto': 'https',
      };
      for (const path of ['/books', '/']) {
        assert.equal((await request(`${gateway().url}${path}`, { headers: claims })).status, 200);
        const seen = lastSeen()?.headers ?? {};
        assert.deepEqual(
          [seen['x-forwarded-for'], seen['x-real-ip'], seen['forwarded'], seen['x-forwarded-proto']],
          ['127.0.0.1', '127.0.0.1', 'for=127.0.0.1;proto=http;host="127.0.0.1"', 'http'],
          path,
        );
      }
    });

    it('takes an ES256 signature in either of its two valid forms (s or n - s): a token is its header and claims', async () => {
      const token = signToken(issuer, 'ES256', validClaims({ sub: 'alice' }));
      const [head, payload, signature] = token.split('.') as [string, string, string];
      // ECDSA's s and n - s verify alike (P-256's group order n); nothing at the gateway keys on the signature.
      const order = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
      const bytes = Buffer.from(signature, 'base64url');
      const s = BigInt(`0x${bytes.subarray(32).toString('hex')}`);
      const twin = Buffer.concat([bytes.subarray(0, 32), Buffer.from((order - s).toString(16).padStart(64, '0'), 'hex')]);
      for (const form of [signature, twin.toString('base64url')]) {
        assert.equal((await post(`${gateway().url}/books`, bearer(`${head}.${payload}.${form}`))).status, 200);
        assert.equal(lastSeen()?.headers['x-auth-subject'], 'alice');
      }
    });

    it('refuses validly signed tokens that a strict reader would read differently', async () => {
      const now = Math.floor(Date.now() / 1000);
      const header = '{"alg":"ES256","typ":"JWT","kid":"ec-1"}';
      const claims = (extra: string) => `{"iss":"${jwtSettings.issuer}","aud":"${jwtSettings.audience}",${extra}}`;
      const valid = signToken(issuer, 'ES256', validClaims());
      // The last character of a 64-byte signature carries 4 unused bits; setting one spells the
      // same bytes differently.
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const last = alphabet.indexOf(valid.slice(-1));
      const cases: Array<[what: string, token: string, reason: string]> = [
        ['a crit header', signToken(issuer, 'ES256', validClaims(), { crit: ['exp'] }), 'unsupported critical header'],
        ['exp 1e400 (Infinity)', signJson(issuer, 'ES256', header, claims(`"sub":"alice","exp":1e400`)), 'malformed token'],
        ['nbf -1e400', signJson(issuer, 'ES256', header, claims(`"sub":"alice","exp":${now + 60},"nbf":-1e400`)), 'malformed token'],
        ['sub twice', signJson(issuer, 'ES256', header, claims(`"sub":"alice","sub":"admin","exp":${now + 60}`)), 'malformed token'],
        [
          'sub twice, once escaped',
          signJson(issuer, 'ES256', header, claims(`"sub":"alice","\\u0073ub":"admin","exp":${now + 60}`)),
          'malformed token',
        ],
        [
          'alg twice in the header',
          signJson(issuer, 'ES256', '{"alg":"none","alg":"ES256","kid":"ec-1"}', claims(`"sub":"alice","exp":${now + 60}`)),
          'malformed token',
        ],
        ['unused signature bits set', `${valid.slice(0, -1)}${alphabet[last ^ 1]}`, 'malformed token'],
        [
          'payload with padding',
          `${valid.split('.')[0]}.${Buffer.from(JSON.stringify(validClaims())).toString('base64').replace(/\+/g, '-').replace(/\//g, '_')}.${valid.split('.')[2]}`,
          'malformed token',
        ],
        ['iat an hour ahead', signToken(issuer, 'ES256', validClaims({ iat: now + 3600 })), 'token issued in the future'],
      ];
      for (const [what, token, reason] of cases) {
        assertRefused(await post(`${gateway().url}/books`, bearer(token)), reason, what);
      }
      // Within the 30 s leeway, and a key that only looks like another inside a value, still pass.
      const accepted = [
        signToken(issuer, 'ES256', validClaims({ iat: now + 20 })),
        signToken(issuer, 'ES256', validClaims({ note: '"sub":"admin"', nested: { sub: 'x' } })),
      ];
      for (const token of accepted) assert.equal((await post(`${gateway().url}/books`, bearer(token))).status, 200);
      assert.equal(lastSeen()?.headers['x-auth-subject'], 'alice');
    });

    it('passes authenticated writes on with exactly the URI the client sent', async () => {
      for (const path of ['/books/%0A/x', '/books/%0a', '/books/a%2Fb', '/books/a%2fb/../c?q=%0A&r=%2F', '/books?x=1#']) {
        const sent = path.replace(/#$/, '');
        const reply = await rawRequest(
          gateway().port,
          `POST ${sent} HTTP/1.1\r\nHost: x\r\nX-API-Key: ${robotKey}\r\nContent-Length: 0\r\n\r\n`,
        );
        assert.equal(reply.status, 200, `${sent}: ${reply.body}`);
        assert.equal(lastSeen()?.url, sent, 'the backend got the URI as sent');
        assert.match(reply.body, /"echo":/);
        assert.doesNotMatch(reply.body, /_gateway/);
      }
    });

    it('keeps the credentials at the gateway: the backend gets the identity only', async () => {
      assert.equal((await post(`${gateway().url}/books`, { 'x-api-key': robotKey, authorization: 'Basic cm9ib3Q6c2VjcmV0' })).status, 200);
      assert.equal(lastSeen()?.headers['x-auth-subject'], 'robot');
      assert.equal(lastSeen()?.headers['x-api-key'], undefined);
      assert.equal(lastSeen()?.headers['authorization'], undefined);
      assert.equal((await post(`${gateway().url}/books`, bearer(signToken(issuer, 'ES256', validClaims())))).status, 200);
      assert.equal(lastSeen()?.headers['authorization'], undefined, 'no bearer token after verification');
      for (const path of ['/books', '/']) {
        assert.equal(
          (await request(`${gateway().url}${path}`, { headers: { authorization: 'Bearer unverified', 'x-api-key': 'unverified' } })).status,
          200,
        );
        assert.equal(lastSeen()?.headers['authorization'], undefined, `${path}: unverified Authorization of a read`);
        assert.equal(lastSeen()?.headers['x-api-key'], undefined, path);
      }
    });

    it('accepts only the pinned algorithms', async () => {
      assertRefused(
        await post(`${gateway().url}/books`, bearer(signToken(issuer, 'RS256', validClaims()))),
        'algorithm not accepted',
        'RS256 when only ES256 is pinned',
      );
      assertRefused(
        await post(`${gateway().url}/books`, bearer(signToken(issuer, 'HS256', validClaims()))),
        'algorithm not accepted',
        'HS256 when only ES256 is pinned',
      );
      assert.equal((await request(`${gateway().url}/_gateway/auth`)).status, 404, 'the auth check is internal');
      assert.equal((await request(`${gateway().url}/_gateway/protected`, { method: 'POST' })).status, 404);
      // Not a location of the gateway: the page's, which takes no writes.
      assert.equal(
        (await request(`${gateway().url}/_gateway/protected/books`, { method: 'POST', headers: { 'x-api-key': robotKey } })).status,
        405,
      );
    });
  });
}

describe('forwardCredentials', function () {
  this.timeout(30000);
  const gateway = useEchoGateway({ auth: { apiKeys: true }, forwardCredentials: true }, () => ({ apiKeys: { robot: robotKey } }));

  it('passes the verified credential on to the backend when set', async () => {
    assert.equal((await post(`${gateway().url}/books`, { 'x-api-key': robotKey })).status, 200);
    assert.equal(gateway().seen.at(-1)?.headers['x-api-key'], robotKey);
    assert.equal(gateway().seen.at(-1)?.headers['x-auth-subject'], 'robot');
    assert.equal((await request(`${gateway().url}/books`, { headers: { authorization: 'Bearer for-the-api' } })).status, 200);
    assert.equal(gateway().seen.at(-1)?.headers['authorization'], 'Bearer for-the-api');
  });
});

describe('credentials of a kind the gateway is not set to take', function () {
  this.timeout(30000);
  const tokensOnly = useLocalSystem({
    gateway: { auth: { jwt: { ...jwtSettings, algorithms: ['RS256', 'ES256'] } } },
    gatewaySecrets: { jwks: issuer.jwks },
  });

  it('refuses an API key where only tokens are taken, saying so, as it says of a token where only keys are', async () => {
    const reply = await request(`${tokensOnly.system().gateway.url}/books`, { method: 'POST', headers: { 'x-api-key': 'nope' } });
    assertRefused(reply, 'API keys are not accepted', 'an API key with keys off');
    assert.match(reply.headers.get('www-authenticate') ?? '', /error="invalid_token"/, 'credentials were given');
  });
});
