/** The nginx API gateway: its configuration renderer and the facts of its container image. */
export { defaultTimeouts, renderGateway } from './render/render-gateway.js';
export { renderGatewaySecrets, secretFiles, validateGatewaySecrets, defaultJwtAlgorithms } from './render/secrets.js';
export type { SecretsSettings } from './render/secrets.js';
export { defaultRateLimit } from './render/rate-limit.js';
export { allowedMethods } from './render/methods.js';
export { contentSecurityPolicy } from './render/response-headers.js';
export { tempPathDirectives } from './render/run-paths.js';
export { metricsLagSeconds, metricsSet } from './render/metrics.js';
export type { MetricsSet } from './render/metrics.js';
export {
  clusterPlatform,
  debianPlatform,
  gatewayImageCommand,
  gatewayPorts,
  headlessServiceUpstream,
  healthPath,
  mainConfigFile,
  metricsPath,
  nginxCommandLine,
  stubStatusPath,
} from './platform.js';
export type {
  GatewayAuth,
  GatewayRateLimit,
  GatewayRenderInput,
  GatewaySecretsInput,
  NginxPlatform,
  RenderedGateway,
  UpstreamServers,
  UpstreamTimeouts,
} from './types.js';
