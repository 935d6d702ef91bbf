/**
 * `npm run -s token` makes tokens the local gateway accepts, from the same GATEWAY_* variables
 * as `npm run local`: checked end to end, through a real `npm run local` and its nginx.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { request } from '../gateway/support/http.js';
import { testIssuer } from '../gateway/support/tokens.js';
import { devKeyFile } from '../../scripts/local/dev-jwt-key.js';
import { freePort } from '../../scripts/toolkit/ports.js';
import { repoRoot, useLocalCommands } from './local-command.js';
import { assertCreatedBy, newBookBody } from '../support/book-writes.js';

const execFileAsync = promisify(execFile);

/** `npm run -s token -- ARGS` with `env`: its stdout, stderr and exit code. */
async function token(env: NodeJS.ProcessEnv, args: string[] = []): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await execFileAsync('npm', ['run', '-s', 'token', '--', ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
  }
}

function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('npm run token', function () {
  this.timeout(90000);
  let folder: string;
  const startCommand = useLocalCommands();
  let port: number;
  const write = (bearer: string) =>
    request(`http://127.0.0.1:${port}/books`, {
      method: 'POST',
      body: newBookBody(),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    });

  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'token-test-'));
  });
  after(() => rm(folder, { recursive: true, force: true }));

  it('signs with the HS256 secret of a _FILE written by echo, and the gateway lets the write through', async () => {
    const secretFile = join(folder, 'hmac-secret');
    await writeFile(secretFile, 'an HS256 secret of more than thirty-two characters\n');
    port = await freePort();
    const env = {
      GATEWAY_PORT: String(port),
      GATEWAY_JWT_HMAC_SECRET_FILE: secretFile,
      GATEWAY_JWT_ALGORITHMS: 'HS256',
      GATEWAY_JWT_ISSUER: 'https://issuer.local',
      GATEWAY_JWT_AUDIENCE: 'books-gateway',
    };
    const command = startCommand(env);
    await command.components();

    const made = await token(env, ['--sub', 'alice', '--ttl', '5m']);
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/, 'only the token, on one line');
    const jwt = made.stdout.trim();
    const claims = claimsOf(jwt);
    assert.deepEqual([claims['sub'], claims['iss'], claims['aud']], ['alice', 'https://issuer.local', 'books-gateway']);
    assert.equal(Number(claims['exp']) - Number(claims['iat']), 300);
    assertCreatedBy(
      await write(jwt),
      'alice',
      'the token is accepted: the write reaches the API, which stores it as written by its subject',
    );

    // 401 bodies say why in `reason`.
    const otherSecret = await token({
      ...env,
      GATEWAY_JWT_HMAC_SECRET_FILE: '',
      GATEWAY_JWT_HMAC_SECRET: 'another secret of more than thirty-two characters',
    });
    const refused = await write(otherSecret.stdout.trim());
    assert.equal(refused.status, 401);
    assert.deepEqual((({ error, reason }) => ({ error, reason }))(JSON.parse(refused.body) as { error: string; reason: string }), {
      error: 'unauthorized',
      reason: 'bad signature',
    });
  });

  it('signs with the development key that npm run local -- --dev-jwt loads, kept private', async () => {
    port = await freePort();
    const command = startCommand({ GATEWAY_PORT: String(port) }, ['--dev-jwt']);
    await command.components();
    assert.ok(
      command.stdout.some((line) =>
        line.startsWith('Gateway settings: JWT RS256/ES256 (issuer books-gateway-local, audience books-gateway)'),
      ),
      command.stdout.join('\n'),
    );
    assert.equal(statSync(devKeyFile).mode & 0o777, 0o600);

    const made = await token({});
    assert.equal(made.code, 0, made.stderr);
    assertCreatedBy(await write(made.stdout.trim()), 'developer', 'the development token');
    assert.equal(claimsOf(made.stdout)['sub'], 'developer');
  });

  it('refuses a bad argument with exit 2, and a JWKS it has no private key for with a message', async () => {
    const bad = await token({}, ['--ttl', 'soon']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /^npm run token: --ttl must be a whole number of seconds/);
    const unknown = await token({}, ['--subject', 'x']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^Unknown option '--subject'/);
    const foreign = await token({ GATEWAY_JWT_JWKS: testIssuer().jwks, GATEWAY_JWT_ISSUER: 'i', GATEWAY_JWT_AUDIENCE: 'a' });
    assert.equal(foreign.code, 1);
    assert.match(foreign.stderr, /^npm run token: GATEWAY_JWT_JWKS is set: only its owner can sign for it/);
  });
});
