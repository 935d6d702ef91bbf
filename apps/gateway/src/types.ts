/**
 * The contract between the gateway configuration renderer and its two users: the Pulumi
 * program (which mounts the rendered files into the gateway pod) and `npm run local` (which
 * writes them to a folder and starts Debian's nginx on them). Both render through
 * `renderGateway`, so the cluster and a laptop run the same configuration.
 */

/** Where an upstream's servers come from. */
export type UpstreamServers =
  /** Fixed `host:port` addresses, e.g. two local books processes on 127.0.0.1. */
  | { kind: 'static'; addresses: string[] }
  /**
   * A DNS name re-resolved at run time (`server host:port resolve` in a `zone`, nginx >= 1.27.3):
   * a headless Service, so nginx keeps a pool per pod and can retry on another pod.
   */
  | { kind: 'dns'; host: string; port: number };

/** What differs between the nginx the gateway image runs and Debian's nginx on a laptop. */
export interface NginxPlatform {
  /** Folder the rendered files are placed in; `nginx -c <configDir>/nginx.conf` starts it. */
  configDir: string;
  /** Folder holding `ngx_http_js_module.so`. */
  modulesDir: string;
  /** Writable folder for the pid file and nginx's temp paths (an emptyDir in the cluster). */
  runDir: string;
  /** Name server for `kind: 'dns'` upstreams; unused when every upstream is static. */
  resolver?: string;
  /** Worker processes (`auto` = one per core). */
  workerProcesses: number | 'auto';
}

export interface GatewayRenderInput {
  /** Public port clients reach (unprivileged: 8080 in the cluster). */
  listenPort: number;
  books: UpstreamServers;
  booksReact: UpstreamServers;
  platform: NginxPlatform;
}

/** Rendered gateway: file name (relative to `platform.configDir`) to contents. */
export interface RenderedGateway {
  files: Record<string, string>;
}
