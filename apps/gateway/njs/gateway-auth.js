/*
 * Authentication at the gateway, for nginx's auth_request: the internal location that runs
 * `authenticate` answers 204 (with the verified identity in X-Auth-Subject and X-Auth-Method)
 * or 401 (with a WWW-Authenticate challenge and the reason in X-Auth-Error).
 *
 * Written for njs 0.7.9 (Debian 12) as well as the newer njs of the official nginx images:
 * no optional chaining, and keys are imported as `spki` (0.7.9 refuses `jwk`); the renderer
 * converts the operator's JWKS to SPKI at render time.
 *
 * Settings come from nginx variables set in the auth location ($gateway_jwt_*), key material
 * from files in the secrets folder ($gateway_secrets_dir), never from the configuration.
 */
var fs = require('fs');
var nodeCrypto = require('crypto');

/** Seconds of clock difference tolerated between the token issuer and the gateway. */
var clockLeewaySeconds = 30;

/** The WebCrypto parameters of each accepted JWS algorithm (RFC 7518). */
var algorithms = {
  RS256: { format: 'spki', importParams: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, verifyParams: { name: 'RSASSA-PKCS1-v1_5' } },
  ES256: { format: 'spki', importParams: { name: 'ECDSA', namedCurve: 'P-256' }, verifyParams: { name: 'ECDSA', hash: 'SHA-256' } },
  HS256: { format: 'raw', importParams: { name: 'HMAC', hash: 'SHA-256' }, verifyParams: { name: 'HMAC' } },
};

/** A refusal whose reason the client may read (never key material or token contents). */
function Refusal(reason) {
  this.reason = reason;
}

function refuse(reason) {
  throw new Refusal(reason);
}

function deny(r, reason, credentialsGiven) {
  var challenge = 'Bearer realm="books-gateway"';
  // RFC 6750: a request without credentials gets no error code, only the challenge.
  if (credentialsGiven) challenge += ', error="invalid_token", error_description="' + reason + '"';
  r.headersOut['WWW-Authenticate'] = challenge;
  r.headersOut['X-Auth-Error'] = reason;
  r.return(401);
}

function allow(r, method, subject) {
  r.headersOut['X-Auth-Method'] = method;
  r.headersOut['X-Auth-Subject'] = subject;
  r.return(204);
}

function readJsonSecret(r, name) {
  return JSON.parse(fs.readFileSync(r.variables.gateway_secrets_dir + '/' + name));
}

/** Client name for an API key: the secrets folder holds SHA-256 digests, never the keys. */
function apiKeyClient(r, key) {
  var clients = readJsonSecret(r, 'api-keys.json');
  var digest = nodeCrypto.createHash('sha256').update(key).digest('hex');
  return Object.prototype.hasOwnProperty.call(clients, digest) ? clients[digest] : null;
}

/**
 * The bytes of a base64url part, refusing any other spelling of them: unused trailing bits set
 * (`QR` for `QQ`) or padding would give a second token string for the same token.
 */
function decodeBase64url(part) {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) refuse('malformed token');
  var bytes = Buffer.from(part, 'base64url');
  if (bytes.toString('base64url') !== part) refuse('malformed token');
  return bytes;
}

/** JSON tokens: strings (escapes included), the structural characters, anything else. */
var jsonToken = /"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^\s{}\[\],:"]+/g;

/**
 * Whether any object in this JSON text has the same key twice. JSON.parse keeps the last
 * (`"sub":"alice","sub":"admin"` is admin), where another parser would keep the first: a token
 * must mean one thing. A reviver cannot tell, as it sees the parsed object. A string is a key
 * when it follows `{` or `,` inside an object; keys are compared unescaped (`"\u0073ub"` is sub).
 */
function hasDuplicateKeys(text) {
  var open = [];
  var previous = '';
  var match;
  jsonToken.lastIndex = 0;
  while ((match = jsonToken.exec(text)) !== null) {
    var token = match[0];
    var top = open[open.length - 1];
    if (token === '{') open.push({ keys: {} });
    else if (token === '[') open.push(null);
    else if (token === '}' || token === ']') open.pop();
    else if (top && token[0] === '"' && (previous === '{' || previous === ',')) {
      var key = '#' + JSON.parse(token);
      if (top.keys[key]) return true;
      top.keys[key] = true;
    }
    previous = token;
  }
  return false;
}

function decodeJsonPart(part) {
  var text = decodeBase64url(part).toString();
  var value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    refuse('malformed token');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) refuse('malformed token');
  if (hasDuplicateKeys(text)) refuse('malformed token');
  return value;
}

/** The key that must have signed a token with this header; refuses when none or several fit. */
function verificationKey(r, header) {
  var material = readJsonSecret(r, 'jwt-keys.json');
  if (header.alg === 'HS256') {
    if (!material.hmacSecret) refuse('algorithm not accepted');
    return Buffer.from(material.hmacSecret);
  }
  var candidates = material.keys.filter(function (key) {
    return key.alg === header.alg && (header.kid === undefined || key.kid === header.kid);
  });
  if (candidates.length !== 1) refuse('unknown signing key');
  return Buffer.from(candidates[0].spki, 'base64');
}

/** A NumericDate claim (RFC 7519 §2): absent, or a finite number (`1e400` parses to Infinity). */
function numericDate(claims, name) {
  var value = claims[name];
  if (value !== undefined && (typeof value !== 'number' || !isFinite(value))) refuse('malformed token');
  return value;
}

function checkClaims(claims, settings) {
  var now = Math.floor(Date.now() / 1000);
  var exp = numericDate(claims, 'exp');
  var nbf = numericDate(claims, 'nbf');
  var iat = numericDate(claims, 'iat');
  if (exp === undefined) refuse('token has no expiry');
  if (now > exp + clockLeewaySeconds) refuse('token expired');
  if (nbf !== undefined && now + clockLeewaySeconds < nbf) refuse('token not yet valid');
  if (iat !== undefined && now + clockLeewaySeconds < iat) refuse('token issued in the future');
  if (claims.iss !== settings.issuer) refuse('wrong issuer');
  var audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (audiences.indexOf(settings.audience) < 0) refuse('wrong audience');
  // The subject becomes a request header: printable ASCII only, so it cannot split headers.
  if (typeof claims.sub !== 'string' || !/^[\x20-\x7e]{1,256}$/.test(claims.sub)) refuse('token has no valid subject');
}

/** The verified subject of a compact JWS, or a Refusal. */
async function verifyToken(r, token) {
  var settings = {
    issuer: r.variables.gateway_jwt_issuer,
    audience: r.variables.gateway_jwt_audience,
    algorithms: r.variables.gateway_jwt_algorithms.split(' '),
  };
  var parts = token.split('.');
  if (parts.length !== 3) refuse('malformed token');
  var header = decodeJsonPart(parts[0]);
  var claims = decodeJsonPart(parts[1]);
  // RFC 7515 §4.1.11: a `crit` extension must be understood, and this verifier knows none.
  if (header.crit !== undefined) refuse('unsupported critical header');
  // Pinned: `none` and anything not configured is refused before any key is touched.
  if (typeof header.alg !== 'string' || settings.algorithms.indexOf(header.alg) < 0 || !algorithms[header.alg]) {
    refuse('algorithm not accepted');
  }
  var signature = decodeBase64url(parts[2]);
  var algorithm = algorithms[header.alg];
  var key = await crypto.subtle.importKey(algorithm.format, verificationKey(r, header), algorithm.importParams, false, ['verify']);
  var valid = await crypto.subtle.verify(
    algorithm.verifyParams,
    key,
    signature,
    Buffer.from(parts[0] + '.' + parts[1])
  );
  if (!valid) refuse('bad signature');
  checkClaims(claims, settings);
  return claims.sub;
}

async function authenticate(r) {
  var apiKey = r.headersIn['X-API-Key'];
  var authorization = r.headersIn['Authorization'];
  try {
    if (apiKey !== undefined && r.variables.gateway_api_keys_enabled === '1') {
      var client = apiKeyClient(r, apiKey);
      if (client === null) refuse('unknown API key');
      allow(r, 'api-key', client);
      return;
    }
    if (authorization === undefined) {
      // A key where keys are off is credentials the gateway will not take, as a token would be.
      if (apiKey !== undefined) refuse('API keys are not accepted');
      deny(r, 'credentials required', false);
      return;
    }
    var bearer = /^Bearer ([^ ]+)$/i.exec(authorization);
    if (!bearer) refuse('not a bearer token');
    if (r.variables.gateway_jwt_enabled !== '1') refuse('tokens are not accepted');
    // Awaited into a variable: njs 0.7.9 crashes on `await` inside a call's arguments.
    var subject = await verifyToken(r, bearer[1]);
    allow(r, 'jwt', subject);
  } catch (error) {
    if (error instanceof Refusal) {
      deny(r, error.reason, true);
      return;
    }
    // A secrets file that will not parse, a key that will not import: the operator must hear.
    r.warn('gateway auth: ' + error);
    deny(r, 'malformed token', true);
  }
}

export default { authenticate: authenticate };
