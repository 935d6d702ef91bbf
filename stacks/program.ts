import * as pulumi from '@pulumi/pulumi';
import { GatewayStack } from '../components/gateway-stack.js';
import { readGatewayConfig } from './config/gateway-settings.js';
import { createTarget, readTargetName } from './targets.js';

/**
 * The Pulumi program: reads the stack's config, creates the chosen target (its cluster
 * connection, and for the clouds the cluster itself), and deploys the system there. Every config
 * mistake fails before the first resource is registered. Returns the stack outputs.
 */
export async function deployGatewaySystem(): Promise<Record<string, pulumi.Input<unknown>>> {
  const config = new pulumi.Config();
  const targetName = readTargetName(config);
  const gatewayConfig = readGatewayConfig(config);
  const target = await createTarget(targetName);

  const stack = new GatewayStack('books-gateway', {
    provider: target.provider,
    platforms: target.platforms,
    registry: target.registry,
    gatewayServiceAnnotations: target.gatewayServiceAnnotations,
    gatewayAddress: target.gatewayAddress,
    buildCache: target.buildCache,
    volumeProvisioner: target.volumeProvisioner,
    ...gatewayConfig,
    // Where the stack sets none, the target's own.
    loadBalancerSettleSeconds: gatewayConfig.loadBalancerSettleSeconds ?? target.loadBalancerSettleSeconds,
    gatewayServicePort: gatewayConfig.gatewayServicePort ?? target.gatewayServicePorts?.http,
    gatewayTlsServicePort: gatewayConfig.gatewayTlsServicePort ?? target.gatewayServicePorts?.https,
  });

  return {
    target: targetName,
    gatewayUrl: stack.url,
    namespace: stack.namespace,
    images: stack.images,
    ...target.outputs,
  };
}
