import * as pulumi from '@pulumi/pulumi';
import { gatewayPolicyDefaults, resolveGatewayPolicy, type GatewayPolicyArgs } from '../components/gatewayPolicy.js';
import { gatewayDefaults, type GatewayStackArgs } from '../components/gatewayStackArgs.js';
import { assertDnsLabel } from '../components/validation.js';
import { fullKey, optionalSecret, optionalString, readCount, readList, readPort, readWholeNumber } from './config.js';

/** The GatewayStack arguments that come from stack config rather than from the target. */
export type GatewayConfig = Required<
  Pick<
    GatewayStackArgs,
    'namespace' | 'booksReplicas' | 'booksReactReplicas' | 'gatewayReplicas' | 'gatewayServicePort' | 'gatewayTlsServicePort'
  >
> &
  GatewayPolicyArgs;

/** Reads and validates the project's GatewayStack keys; errors name the key. */
export function readGatewayConfig(config: pulumi.Config): GatewayConfig {
  const gatewayConfig: GatewayConfig = {
    namespace: assertDnsLabel(fullKey(config, 'namespace'), optionalString(config, 'namespace') ?? gatewayDefaults.namespace),
    booksReplicas: readCount(config, 'booksReplicas', gatewayDefaults.booksReplicas),
    booksReactReplicas: readCount(config, 'booksReactReplicas', gatewayDefaults.booksReactReplicas),
    gatewayReplicas: readCount(config, 'gatewayReplicas', gatewayDefaults.gatewayReplicas),
    gatewayServicePort: readPort(config, 'gatewayServicePort', gatewayDefaults.gatewayServicePort),
    gatewayTlsServicePort: readPort(config, 'gatewayTlsServicePort', gatewayDefaults.gatewayTlsServicePort),
    ...readGatewayPolicy(config),
  };
  // GatewayStack checks these again, naming its arguments; checked here, the messages name the
  // config keys, and nothing (not even the target's provider) is registered yet.
  resolveGatewayPolicy(gatewayConfig, (setting) => fullKey(config, setting));
  return gatewayConfig;
}

/**
 * The gateway's security and limits. The secret keys are read as plaintext, synchronously
 * (`config.getSecret` would give an Output, known only after resources are registered), because
 * a bad JWKS or TLS key must fail before the first resource. The plaintext goes only into the
 * secrets renderer, whose files reach the cluster inside `pulumi.secret`, so state and outputs
 * keep them encrypted as `--secret` config is; no message quotes them.
 */
function readGatewayPolicy(config: pulumi.Config): GatewayPolicyArgs {
  const apiKeysText = optionalSecret(config, 'apiKeys');
  return {
    jwtJwks: optionalSecret(config, 'jwtJwks'),
    jwtHmacSecret: optionalSecret(config, 'jwtHmacSecret'),
    jwtIssuer: optionalString(config, 'jwtIssuer'),
    jwtAudience: optionalString(config, 'jwtAudience'),
    jwtAlgorithms: readList(config, 'jwtAlgorithms'),
    apiKeys: apiKeysText === undefined ? undefined : parseApiKeys(fullKey(config, 'apiKeys'), apiKeysText),
    rateLimitPerSecond: readWholeNumber(config, 'rateLimitPerSecond', gatewayPolicyDefaults.rateLimitPerSecond, 1),
    rateLimitBurst: readWholeNumber(config, 'rateLimitBurst', gatewayPolicyDefaults.rateLimitBurst, 0),
    // nginx refuses a connection limit of 65536 or more.
    connectionsPerClient: readWholeNumber(config, 'connectionsPerClient', gatewayPolicyDefaults.connectionsPerClient, 1, 65535),
    corsOrigins: readList(config, 'corsOrigins'),
    maxBodySize: optionalString(config, 'maxBodySize'),
    tlsCertificate: optionalSecret(config, 'tlsCertificate'),
    tlsKey: optionalSecret(config, 'tlsKey'),
  };
}

/**
 * The `apiKeys` text as client name to key. JSON.parse's own message quotes the text it failed
 * on, which would print a secret, so this one says only what is expected.
 */
function parseApiKeys(name: string, text: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const isObject = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  if (!isObject || Object.values(parsed as object).some((key) => typeof key !== 'string')) {
    throw new pulumi.RunError(
      `${name} must be a JSON object of client name to key, e.g. {"inventory-sync":"<random key of 24+ characters>"}, ` +
        'set with --secret; the value set is not one',
    );
  }
  return parsed as Record<string, string>;
}
