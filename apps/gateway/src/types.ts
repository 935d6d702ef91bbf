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
  /** Folder holding the files of `renderGatewaySecrets` (a Kubernetes Secret in the cluster). */
  secretsDir: string;
  /** Name server for `kind: 'dns'` upstreams; required as soon as one upstream is `dns`. */
  resolver?: string;
  /**
   * Where the gateway's relay for writes listens (write-relay.ts), on this host only:
   * `127.0.0.1:<port>` or `unix:<path>`. Default a Unix socket in `runDir`.
   */
  writeRelayAddress?: string;
  /** Worker processes (`auto` = one per core). */
  workerProcesses: number | 'auto';
  /**
   * The account nginx's workers switch to when its master starts as root (`user`). Default: the
   * one compiled in (`nobody`), which other daemons share. The gateway image starts nginx as
   * user 101, where nginx would ignore it with a warning, so only the local run sets it.
   */
  workerUser?: string;
  /**
   * Where the JSON access log goes: a file path, `/dev/stdout` (the cluster: the container log)
   * or `off`. Default `/dev/stdout`.
   */
  accessLog?: string;
  /**
   * Seconds a line of that log may wait in nginx's buffer (64 kB per worker) before it is
   * written: one write per buffer instead of one per request. A line waits at most this long,
   * and those still buffered when nginx is killed (not stopped) are lost. Default: none, each
   * line written as its request ends.
   */
  accessLogFlushSeconds?: number;
  /**
   * Whether its njs (0.8.8 or newer) has what the full set of metrics (per route) needs: shared
   * dictionaries (`js_shared_dict_zone`), `js_periodic` and `process.kill`. Otherwise the status
   * port serves nginx's connection counters only. Default false (Debian 12's njs 0.7.9).
   */
  fullMetrics?: boolean;
}

/** Seconds nginx waits on an upstream; each has a default suited to the books services. */
export interface UpstreamTimeouts {
  /** Establishing a connection; short, so a dead pod is skipped quickly. Default 2. */
  connect?: number;
  /** Between two reads of the response. Default 5: less than the retry budget, so a hung backend is retried on another. */
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
  /**
   * Seconds a client may take to send its request headers (from its connection on), or wait
   * between two reads of its body, or stay idle on a keep-alive connection, and nginx waits
   * between two writes of the answer; slower or idle clients are disconnected. There is no
   * total deadline for a body: one that keeps arriving is read to its end. Default 10.
   */
  clientTimeout?: number;
  /** Largest request body accepted; larger gets 413. Default `1m`. */
  clientMaxBodySize?: BodySize;
  /**
   * Who may call what. Only whether credentials are configured (and the public JWT settings)
   * is here: the key material itself is rendered separately by `renderGatewaySecrets`, so the
   * configuration never holds a secret. Default: reads public, writes on /books need a token.
   */
  auth?: GatewayAuth;
  /** Per-client-address limits. Defaults are generous enough for a browser, tight enough for a flood. */
  rateLimit?: GatewayRateLimit;
  /** Origins allowed by CORS (exact `https://host[:port]`); default none. */
  corsOrigins?: string[];
  /** Serve HTTPS (with HSTS) using the certificate and key in the secrets folder. Default false. */
  tls?: boolean;
  /**
   * Pass the client's `Authorization` and `X-API-Key` headers on to the backends. Default false:
   * the gateway verifies them and passes only the identity (`X-Auth-Subject`, `X-Auth-Method`).
   */
  forwardCredentials?: boolean;
}

/** A body size as the gateway policy resolved it (settings/gateway-policy.ts): above 0. */
export interface BodySize {
  /** In nginx size syntax (`512k`, `1m`), as set. */
  nginx: string;
  /** The bytes it stands for, which the check of an announced body compares with. */
  bytes: number;
}

export interface GatewayAuth {
  /** JWT validation; when undefined every request that needs a token gets 401. */
  jwt?: {
    issuer: string;
    audience: string;
    /** Accepted algorithms, pinned; `none` is never accepted. Default RS256 and ES256. */
    algorithms?: Array<'RS256' | 'ES256' | 'HS256'>;
  };
  /** Accept `X-API-Key` from machine clients (keys in the secrets folder). Default false. */
  apiKeys?: boolean;
}

export interface GatewayRateLimit {
  /** Sustained requests per second per client address. */
  requestsPerSecond: number;
  /** Requests above the rate a client may send at once before getting 429. */
  burst: number;
  /** Requests in progress at once per client address: nginx's limit_conn counts requests, not idle connections. */
  connectionsPerClient: number;
}

/** The secret inputs of the gateway, as the operator configures them. */
export interface GatewaySecretsInput {
  /** A JWKS document (JSON) with the public keys tokens are signed with. */
  jwks?: string;
  /** HS256 shared secret, when HS256 is accepted. */
  hmacSecret?: string;
  /** Client name to API key. */
  apiKeys?: Record<string, string>;
  /** PEM certificate chain and key, when `tls` is on. */
  tlsCertificate?: string;
  tlsKey?: string;
}

/** Rendered gateway: file name (relative to `platform.configDir`) to contents. */
export interface RenderedGateway {
  files: Record<string, string>;
  /** Digest of the files, reported by the status server's health endpoint as `config`. */
  version: string;
}
