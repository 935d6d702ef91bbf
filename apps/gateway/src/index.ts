/**
 * The nginx API gateway: its settings (read and checked once), its configuration renderer, and
 * the facts of its container image.
 */
export {
  defaultGatewayPolicy,
  gatewayPolicyDefaults,
  gatewayPolicySettings,
  jwtAlgorithms,
  parseBodySize,
  readGatewayPolicy,
  secretPolicySettings,
} from './settings/gateway-policy.js';
export type { GatewayPolicy, GatewayPolicyRender, GatewayPolicySetting, JwtAlgorithm } from './settings/gateway-policy.js';
export * as settingReaders from './settings/setting-readers.js';
export type { SettingSource } from './settings/setting-readers.js';
export { GatewaySettingsError, asUserError } from './settings/settings-error.js';
export { defaultTimeouts, renderGateway } from './render/render-gateway.js';
export { renderGatewaySecrets, secretFiles, validateGatewaySecrets, defaultJwtAlgorithms } from './render/secrets.js';
export type { SecretField, SecretsSettings } from './render/secrets.js';
export { defaultRateLimit } from './render/rate-limit.js';
export { allowedMethods } from './render/methods.js';
export { contentSecurityPolicy } from './render/response-headers.js';
export { tempPathDirectives } from './render/run-paths.js';
export { metricsLagSeconds, metricsSet } from './render/metrics.js';
export type { MetricsSet } from './render/metrics.js';
export {
  clusterPlatform,
  debianModulesDir,
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
  BodySize,
  GatewayAuth,
  GatewayRateLimit,
  GatewayRenderInput,
  GatewaySecretsInput,
  NginxPlatform,
  RenderedGateway,
  UpstreamServers,
  UpstreamTimeouts,
} from './types.js';
