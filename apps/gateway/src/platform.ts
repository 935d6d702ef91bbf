import type { NginxPlatform, UpstreamServers } from './types.js';

/** Ports of the gateway container. Unprivileged, so nginx runs as non-root. */
export const gatewayPorts = {
  /** The only port clients reach (through the gateway Service). */
  public: 8080,
  /** Health (`/healthz`) for the kubelet's probes; never exposed by a Service. */
  status: 8081,
  /** The relay of writes (write-relay.ts), on the pod's loopback only. */
  writeRelay: 8082,
} as const;

/** Path of the health endpoint on the status port. */
export const healthPath = '/healthz';

/**
 * Path of nginx's `stub_status` on the status port, which the metrics page reads (a subrequest)
 * and serves under nginx-prometheus-exporter's names. Never served on the public port.
 */
export const stubStatusPath = '/stub_status';

/** Path of the Prometheus metrics on the status port (apps/gateway/njs/gateway-metrics.js). */
export const metricsPath = '/metrics';

/** The main configuration file among the rendered files; nginx is started on it. */
export const mainConfigFile = 'nginx.conf';

/**
 * The gateway image (nginxinc/nginx-unprivileged, alpine): the rendered files are mounted from a
 * ConfigMap at `configDir`, and `runDir` is an emptyDir so the root filesystem can stay read-only.
 */
export const clusterPlatform: NginxPlatform = {
  configDir: '/etc/nginx/gateway',
  modulesDir: '/etc/nginx/modules',
  runDir: '/tmp/nginx',
  // Mounted from a Kubernetes Secret (renderGatewaySecrets), apart from the ConfigMap.
  secretsDir: '/etc/nginx/gateway-secrets',
  // nginx resolves this name once at start through the system resolver (which knows the search
  // domains), then asks kube-dns directly: works on every cluster without knowing its DNS IP.
  resolver: 'kube-dns.kube-system.svc.cluster.local',
  // The pod's own loopback, not a socket in the emptyDir: a socket file nginx leaves behind when
  // it is killed (OOM) would outlive it there and make the restarted nginx fail to bind.
  writeRelayAddress: `127.0.0.1:${gatewayPorts.writeRelay}`,
  // Never `auto`, which counts the node's CPUs, not the pod's: GatewayStack renders the count its
  // container's CPU limit allows.
  workerProcesses: 1,
  accessLog: '/dev/stdout',
  // A write per request, which workers sharing the log also contend for: buffered, the gateway
  // took 10-14% less CPU per request at 10 and 100 connections (npm run bench, tuning, 2 workers).
  // The container log then lags by up to a second; nginx writes what it holds when it stops.
  accessLogFlushSeconds: 1,
  // The image's njs (0.8.10) has what the full set of metrics needs.
  fullMetrics: true,
};

/** Where Debian's nginx package keeps its modules (njs's among them). */
export const debianModulesDir = '/usr/lib/nginx/modules';

/**
 * Debian's nginx package (`apt-get install nginx libnginx-mod-http-js`), used by `npm run local`
 * and the tests: the files, the pid and temp paths and the access log all live under one private
 * folder. The log is a file because nginx cannot open `/dev/stdout` when its stdout is a socket,
 * which is what Node gives a child process.
 */
export function debianPlatform(folder: string, overrides: Partial<NginxPlatform> = {}): NginxPlatform {
  return {
    configDir: folder,
    modulesDir: debianModulesDir,
    runDir: `${folder}/run`,
    secretsDir: `${folder}/secrets`,
    workerProcesses: 'auto',
    accessLog: `${folder}/run/access.log`,
    // Debian 12's njs is 0.7.9 (no shared dictionaries): nginx's connection metrics only.
    fullMetrics: false,
    ...overrides,
  };
}

/**
 * The command line that starts nginx in the foreground on the rendered configuration.
 * `-e stderr` keeps nginx from opening its compiled-in error log path before it has read the
 * configuration (a read-only root filesystem would refuse it).
 */
export function nginxCommandLine(platform: Pick<NginxPlatform, 'configDir'>, nginxBinary = 'nginx'): string[] {
  return [nginxBinary, '-e', 'stderr', '-c', `${platform.configDir}/${mainConfigFile}`];
}

/** The gateway image's command (its Dockerfile's CMD). */
export const gatewayImageCommand: readonly string[] = nginxCommandLine(clusterPlatform);

/**
 * The upstream for a headless Kubernetes Service: its fully qualified name, because nginx's
 * resolver does not apply resolv.conf's search domains.
 */
export function headlessServiceUpstream(
  service: string,
  namespace: string,
  port: number,
  clusterDomain = 'cluster.local',
): UpstreamServers {
  return { kind: 'dns', host: `${service}.${namespace}.svc.${clusterDomain}`, port };
}
