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
   * `host` must be fully qualified (`books.<namespace>.svc.cluster.local`): nginx's own
   * resolver ignores the search domains of `/etc/resolv.conf`.
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
  /** Name server for `kind: 'dns'` upstreams; required as soon as one upstream is `dns`. */
  resolver?: string;
  /** Worker processes (`auto` = one per core). */
  workerProcesses: number | 'auto';
  /**
   * Where the JSON access log goes: a file path, `/dev/stdout` (the cluster: the container log)
   * or `off`. Default `/dev/stdout`.
   */
  accessLog?: string;
}

/** Seconds nginx waits on an upstream; each has a default suited to the books services. */
export interface UpstreamTimeouts {
  /** Establishing a connection; short, so a dead pod is skipped quickly. Default 2. */
  connect?: number;
  /** Between two reads of the response. Default 30. */
  read?: number;
  /** Between two writes of the request. Default 30. */
  send?: number;
  /** Overall budget for one request across its retries on other backends. Default 10. */
  retryBudget?: number;
}

export interface GatewayRenderInput {
  /** Public port clients reach (unprivileged: 8080 in the cluster). */
  listenPort: number;
  /**
   * Address both servers bind to; default all IPv4 interfaces (the cluster, where the Service
   * and the kubelet's probes reach the pod IP). The local run binds `127.0.0.1`.
   */
  listenAddress?: string;
  /** Port of the status server (`/healthz`), never exposed publicly. Default 8081. */
  statusPort?: number;
  books: UpstreamServers;
  booksReact: UpstreamServers;
  platform: NginxPlatform;
  timeouts?: UpstreamTimeouts;
  /** Largest request body accepted, in nginx size syntax (`1m`); larger gets 413. Default `1m`. */
  clientMaxBodySize?: string;
}

/** Rendered gateway: file name (relative to `platform.configDir`) to contents. */
export interface RenderedGateway {
  files: Record<string, string>;
}
