import * as pulumi from '@pulumi/pulumi';
import { gatewayDefaults, type GatewayStackArgs } from '../components/gatewayStackArgs.js';
import { assertDnsLabel } from '../components/validation.js';
import { fullKey, optionalString, readCount, readPort } from './config.js';

/** The GatewayStack arguments that come from stack config rather than from the target. */
export type GatewayConfig = Required<
  Pick<GatewayStackArgs, 'namespace' | 'booksReplicas' | 'booksReactReplicas' | 'gatewayReplicas' | 'gatewayServicePort'>
>;

/** Reads and validates the project's GatewayStack keys; errors name the key. */
export function readGatewayConfig(config: pulumi.Config): GatewayConfig {
  return {
    namespace: assertDnsLabel(fullKey(config, 'namespace'), optionalString(config, 'namespace') ?? gatewayDefaults.namespace),
    booksReplicas: readCount(config, 'booksReplicas', gatewayDefaults.booksReplicas),
    booksReactReplicas: readCount(config, 'booksReactReplicas', gatewayDefaults.booksReactReplicas),
    gatewayReplicas: readCount(config, 'gatewayReplicas', gatewayDefaults.gatewayReplicas),
    gatewayServicePort: readPort(config, 'gatewayServicePort', gatewayDefaults.gatewayServicePort),
  };
}
