/**
 * `npm run -s token [-- --sub NAME --ttl 15m]`: a token the local gateway accepts, and nothing
 * else on stdout, so `curl -H "Authorization: Bearer $(npm run -s token)" ...` works. It reads
 * the GATEWAY_* variables (and _FILE files) exactly as `npm run local` does, with the same
 * checks, and signs with GATEWAY_JWT_HMAC_SECRET when HS256 is on, otherwise with the
 * development key that `npm run local -- --dev-jwt` loads as its JWKS.
 */
import { parseCommandLine } from './toolkit/command-line.js';
import { devKey, withDevJwks } from './local/dev-jwt-key.js';
import { gatewaySettingsFromEnv } from './local/gateway-env.js';
import { LocalRunError, failureMessage } from './local/local-run-error.js';
import { type TokenSigner, signToken } from './local/sign-token.js';

const usage = [
  'Usage: npm run -s token [-- --sub NAME] [--ttl DURATION]',
  '',
  'Prints a JWT for the local gateway (npm run local) on stdout, and only that.',
  '',
  'Options:',
  '  --sub NAME      the subject, passed to the API as X-Auth-Subject (default: developer)',
  '  --ttl DURATION  lifetime: seconds, or a number with s, m, h or d (default 15m; every token expires)',
  '  -h, --help      this text',
  '',
  'Signed with GATEWAY_JWT_HMAC_SECRET (or _FILE) when GATEWAY_JWT_ALGORITHMS includes HS256;',
  'otherwise with the development key, which the gateway accepts when started with',
  '`npm run local -- --dev-jwt`. iss and aud are GATEWAY_JWT_ISSUER and GATEWAY_JWT_AUDIENCE',
  '(with the development key, default books-gateway-local and books-gateway).',
].join('\n');

const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `90`, `90s`, `15m`, `2h`, `1d` as whole seconds. */
function parseTtl(text: string): number {
  const match = /^([1-9][0-9]*)([smhd]?)$/.exec(text);
  if (!match) throw new LocalRunError(`--ttl must be a whole number of seconds, or one with s, m, h or d (e.g. 15m), got "${text}"`);
  return Number(match[1]) * (units[match[2] || 's'] ?? 1);
}

function main(): void {
  const flags = parseCommandLine(process.argv.slice(2), { sub: { type: 'string' }, ttl: { type: 'string' } }, usage);
  const subject = typeof flags['sub'] === 'string' ? flags['sub'] : 'developer';
  if (!/^[\x20-\x7e]{1,256}$/.test(subject)) throw new LocalRunError('--sub must be 1 to 256 printable ASCII characters');
  const ttl = parseTtl(typeof flags['ttl'] === 'string' ? flags['ttl'] : '15m');

  const local = gatewaySettingsFromEnv(process.env);
  const jwt = local.gateway.auth?.jwt;
  const hmacSecret = local.gatewaySecrets.hmacSecret;
  let signer: TokenSigner;
  let claims: { iss: string; aud: string };
  if (jwt?.algorithms?.includes('HS256') && hmacSecret !== undefined) {
    signer = { alg: 'HS256', secret: hmacSecret };
    claims = { iss: jwt.issuer, aud: jwt.audience };
  } else {
    if (jwt !== undefined) {
      throw new LocalRunError(
        'GATEWAY_JWT_JWKS is set: only its owner can sign for it. Set GATEWAY_JWT_HMAC_SECRET with HS256 in GATEWAY_JWT_ALGORITHMS, or unset it and use npm run local -- --dev-jwt',
      );
    }
    const key = devKey();
    const dev = gatewaySettingsFromEnv(withDevJwks(process.env, key.jwks)).gateway.auth?.jwt;
    if (dev === undefined) throw new Error('the development JWKS did not turn JWT on');
    signer = { alg: 'ES256', key: key.privateKey, kid: key.kid };
    claims = { iss: dev.issuer, aud: dev.audience };
  }
  const now = Math.floor(Date.now() / 1000);
  process.stdout.write(`${signToken(signer, { ...claims, sub: subject, iat: now, exp: now + ttl })}\n`);
}

try {
  main();
} catch (error) {
  process.stderr.write(`npm run token: ${failureMessage(error)}\n`);
  process.exit(1);
}
