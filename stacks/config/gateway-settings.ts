import type * as pulumi from '@pulumi/pulumi';
import { readGatewayPolicy } from '../../apps/gateway/src/index.js';
import { assertImageReference } from '../../components/base-images.js';
import { volumeFates } from '../../components/database-storage.js';
import { parseDatabaseUrl } from '../../components/database-url.js';
import { gatewayDefaults, type GatewayStackArgs } from '../../components/gateway-stack-args.js';
import { asRunError, assertDnsLabel, assertOneOf, assertVolumeSize } from '../../components/validation.js';
import { fullKey, optionalSecret, optionalString, readCount, readPort, readWholeNumber, settingSource } from './stack-config.js';
import { readBaseImages } from './base-images.js';
import { readMonitoringConfig } from './monitoring-settings.js';
import type { MonitoringArgs } from '../../components/monitoring.js';

/**
 * The GatewayStack arguments that come from stack config rather than from the target. The
 * Service ports are undefined when the stack leaves them empty: the target's own then apply.
 */
export type GatewayConfig = Required<
  Pick<GatewayStackArgs, 'namespace' | 'booksReplicas' | 'booksReactReplicas' | 'gatewayReplicas' | 'baseImages' | 'policy'>
> &
  Pick<GatewayStackArgs, 'gatewayServicePort' | 'gatewayTlsServicePort' | 'loadBalancerSettleSeconds'> &
  DatabaseConfig &
  MonitoringArgs;

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
    loadBalancerSettleSeconds:
      optionalString(config, 'loadBalancerSettleSeconds') === undefined
        ? undefined
        : readWholeNumber(config, 'loadBalancerSettleSeconds', 0, 0, 600),
    ...readDatabaseConfig(config),
    ...readMonitoringConfig(config),
    // Checked here, the messages name the keys, and nothing (not even the target's provider) is
    // registered yet; GatewayStack takes the policy as it is.
    policy: asRunError(() => readGatewayPolicy(settingSource(config))),
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
    postgresImage:
      image === undefined
        ? undefined
        : assertImageReference(key('postgresImage'), image, 'registry.example.com/postgres:17, postgres@sha256:<64 hex>'),
    databaseUrl: url === undefined ? undefined : parseDatabaseUrl(key('databaseUrl'), url).url,
    databaseVolumeSize: size === undefined ? undefined : assertVolumeSize(key('databaseVolumeSize'), size),
    databaseVolumeOnDestroy: fate === undefined ? undefined : assertOneOf(key('databaseVolumeOnDestroy'), fate, volumeFates),
  };
}
