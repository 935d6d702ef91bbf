/** The nginx API gateway: its configuration renderer and the facts of its container image. */
export { renderGateway } from './render/render-gateway.js';
export { tempPathDirectives } from './render/run-paths.js';
export {
  clusterPlatform,
  debianPlatform,
  gatewayImageCommand,
  gatewayPorts,
  headlessServiceUpstream,
  healthPath,
  mainConfigFile,
  nginxCommandLine,
} from './platform.js';
export type {
  GatewayRenderInput,
  NginxPlatform,
  RenderedGateway,
  UpstreamServers,
  UpstreamTimeouts,
} from './types.js';
