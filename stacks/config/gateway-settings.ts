import * as pulumi from '@pulumi/pulumi';
import {
  gatewayPolicyDefaults,
  resolveGatewayPolicy,
  type GatewayPolicy,
  type GatewayPolicyArgs,
} from '../../components/gateway-policy.js';
import { assertImageReference } from '../../components/base-images.js';
import { volumeFates } from '../../components/database-storage.js';
import { parseDatabaseUrl } from '../../components/database-url.js';
import { gatewayDefaults, type GatewayStackArgs } from '../../components/gateway-stack-args.js';
import { assertDnsLabel, assertOneOf, assertVolumeSize } from '../../components/validation.js';
import {
  fullKey,
  optionalSecret,
  optionalString,
  parseJsonObject,
  readBoolean,
  readCount,
  readList,
  readPort,
  readWholeNumber,
  settingSource,
  type Settings,
  type SettingSource,
} from './stack-config.js';
import { readBaseImages } from './base-images.js';
import { readMonitoringConfig } from './monitoring-settings.js';
import type { MonitoringArgs } from '../../components/monitoring.js';

/**
 * The GatewayStack arguments that come from stack config rather than from the target. The
 * Service ports are undefined when the stack leaves them empty: the target's own then apply.
 */
export type GatewayConfig = Required<Pick<GatewayStackArgs, 'namespace' | 'booksReplicas' | 'booksReactReplicas' | 'gatewayReplicas' | 'baseImages'>> &
  Pick<GatewayStackArgs, 'gatewayServicePort' | 'gatewayTlsServicePort' | 'loadBalancerSettleSeconds'> &
  DatabaseConfig &
  MonitoringArgs &
  GatewayPolicyArgs;

/** The database's keys; unset ones keep GatewayStack's defaults. */
type DatabaseConfig = Pick<GatewayStackArgs, 'postgresImage' | 'databaseUrl' | 'databaseVolumeSize' | 'databaseVolumeOnDestroy'>;

/** Reads and validates the project's GatewayStack keys; errors name the key. */
export function readGatewayConfig(config: pulumi.Config): GatewayConfig {
  return {
    namespace: assertDnsLabel(fullKey(config, 'namespace'), optionalString(config, 'namespace') ?? gatewayDefaults.namespace),
    booksReplicas: readCount(config, 'booksReplicas', gatewayDefaults.booksReplicas),
    booksReactReplicas: readCount(config, 'booksReactReplicas', gatewayDefaults.booksReactReplicas),
    gatewayReplicas: readCount(config, 'gatewayReplicas', gatewayDefaults.gatewayReplicas),
    gatewayServicePort: readPort(config, 'gatewayServicePort'),
    gatewayTlsServicePort: readPort(config, 'gatewayTlsServicePort'),
    baseImages: readBaseImages(config),
    // Unset: the target's own load balancer's.
    loadBalancerSettleSeconds: optionalString(config, 'loadBalancerSettleSeconds') === undefined ? undefined : readWholeNumber(config, 'loadBalancerSettleSeconds', 0, 0, 600),
    ...readDatabaseConfig(config),
    ...readMonitoringConfig(config),
    ...readGatewayPolicy(config).args,
  };
}

/**
 * `postgresImage`, `databaseUrl` (a secret, read as plaintext to be checked now; it reaches the
 * cluster only inside a Secret), `databaseVolumeSize` and `databaseVolumeOnDestroy`, each
 * checked here so that the message names the key and nothing is registered yet.
 */
function readDatabaseConfig(config: pulumi.Config): DatabaseConfig {
  const image = optionalString(config, 'postgresImage');
  const url = optionalSecret(config, 'databaseUrl');
  const size = optionalString(config, 'databaseVolumeSize');
  const fate = optionalString(config, 'databaseVolumeOnDestroy');
  const key = (name: string) => fullKey(config, name);
  return {
    postgresImage: image === undefined ? undefined : assertImageReference(key('postgresImage'), image, 'registry.example.com/postgres:17, postgres@sha256:<64 hex>'),
    databaseUrl: url === undefined ? undefined : parseDatabaseUrl(key('databaseUrl'), url).url,
    databaseVolumeSize: size === undefined ? undefined : assertVolumeSize(key('databaseVolumeSize'), size),
    databaseVolumeOnDestroy: fate === undefined ? undefined : assertOneOf(key('databaseVolumeOnDestroy'), fate, volumeFates),
  };
}

/** The gateway's security and limit settings as read, and resolved into what the gateway runs. */
export interface GatewayPolicySettings {
  args: GatewayPolicyArgs;
  policy: GatewayPolicy;
}

/**
 * Reads the gateway's security and limit keys and checks them together (a key without its
 * issuer, a certificate without its key); errors name the key as `settings` does. The stack
 * reads them from its config, `npm run local` from the environment.
 */
export function readGatewayPolicy(settings: Settings): GatewayPolicySettings {
  const source = settingSource(settings);
  const args = readGatewayPolicyArgs(source);
  // GatewayStack checks these again, naming its arguments; checked here, the messages name the
  // keys, and nothing (not even the target's provider) is registered yet.
  return { args, policy: resolveGatewayPolicy(args, (setting) => source.nameOf(setting)) };
}

/**
 * The gateway's security and limits. The secret keys are read as plaintext, synchronously
 * (`config.getSecret` would give an Output, known only after resources are registered), because
 * a bad JWKS or TLS key must fail before the first resource. The plaintext goes only into the
 * secrets renderer, whose files reach the cluster inside `pulumi.secret`, so state and outputs
 * keep them encrypted as `--secret` config is; no message quotes them.
 */
function readGatewayPolicyArgs(source: SettingSource): GatewayPolicyArgs {
  const apiKeysText = optionalSecret(source, 'apiKeys');
  return {
    jwtJwks: optionalSecret(source, 'jwtJwks'),
    jwtHmacSecret: optionalSecret(source, 'jwtHmacSecret'),
    jwtIssuer: optionalString(source, 'jwtIssuer'),
    jwtAudience: optionalString(source, 'jwtAudience'),
    jwtAlgorithms: readList(source, 'jwtAlgorithms'),
    apiKeys: apiKeysText === undefined ? undefined : parseApiKeys(source, apiKeysText),
    rateLimitPerSecond: readWholeNumber(source, 'rateLimitPerSecond', gatewayPolicyDefaults.rateLimitPerSecond, 1),
    rateLimitBurst: readWholeNumber(source, 'rateLimitBurst', gatewayPolicyDefaults.rateLimitBurst, 0),
    // nginx refuses a connection limit of 65536 or more.
    connectionsPerClient: readWholeNumber(source, 'connectionsPerClient', gatewayPolicyDefaults.connectionsPerClient, 1, 65535),
    corsOrigins: readList(source, 'corsOrigins'),
    maxBodySize: optionalString(source, 'maxBodySize'),
    tlsCertificate: optionalSecret(source, 'tlsCertificate'),
    tlsKey: optionalSecret(source, 'tlsKey'),
    forwardCredentials: readBoolean(source, 'forwardCredentials', gatewayPolicyDefaults.forwardCredentials),
  };
}

/**
 * The `apiKeys` text as client name to key. JSON.parse's own message quotes the text it failed
 * on, which would print a secret, so this one says only what is expected.
 */
function parseApiKeys(source: SettingSource, text: string): Record<string, string> {
  const parsed = parseJsonObject(text);
  if (parsed === undefined || Object.values(parsed).some((key) => typeof key !== 'string')) {
    const advice = source.secretAdvice === undefined ? '' : `, ${source.secretAdvice}`;
    throw new pulumi.RunError(
      `${source.nameOf('apiKeys')} must be a JSON object of client name to key, e.g. {"inventory-sync":"<random key of 24+ characters>"}` +
        `${advice}; the value set is not one`,
    );
  }
  return parsed as Record<string, string>;
}
