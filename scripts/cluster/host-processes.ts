import * as path from 'node:path';
import { stringify } from 'yaml';
import type { ProcessSpec } from '../toolkit/managed-process.js';
import { network, nodeName, ports, type RunLayout } from './layout.js';
import { componentKubeconfig, hostUserKubeconfig, hostUsers } from './pki.js';

/*
 * The processes of the single node, in the order they start: etcd, the control plane, the
 * container runtime (cri-dockerd on the local Docker engine), the kubelet, kube-proxy, the network
 * policy engine and the LoadBalancer. Each is Kubernetes' or its component's own binary with the
 * flags kubeadm would give it, less what a single node does not need (leader election).
 */

/** The binaries, by command name (build/go-build.ts). */
export type Binaries = Record<string, string>;

export interface HostProcessOptions {
  layout: RunLayout;
  binaries: Binaries;
  /** The node's address (node-address.ts). */
  address: string;
  /** The pause image cri-dockerd starts every pod with. */
  pauseImage: string;
  /** False starts no LoadBalancer controller: Services of that type then get no address, as on kind. */
  loadBalancer: boolean;
}

const cniPluginDir = '/usr/lib/cni';

function etcd({ layout, binaries }: HostProcessOptions): ProcessSpec {
  const pki = layout.pki;
  const client = `https://127.0.0.1:${ports.etcdClient}`;
  const peer = `https://127.0.0.1:${ports.etcdPeer}`;
  return {
    name: 'etcd',
    command: binaries['etcd'],
    args: [
      `--name=${nodeName}`,
      `--data-dir=${layout.etcdData}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=${nodeName}=${peer}`,
      `--listen-metrics-urls=http://127.0.0.1:${ports.etcdMetrics}`,
      '--client-cert-auth',
      `--trusted-ca-file=${pki}/etcd/ca.crt`,
      `--cert-file=${pki}/etcd/server.crt`,
      `--key-file=${pki}/etcd/server.key`,
      '--peer-client-cert-auth',
      `--peer-trusted-ca-file=${pki}/etcd/ca.crt`,
      `--peer-cert-file=${pki}/etcd/peer.crt`,
      `--peer-key-file=${pki}/etcd/peer.key`,
    ],
  };
}

function apiServer({ layout, binaries, address }: HostProcessOptions): ProcessSpec {
  const pki = layout.pki;
  return {
    name: 'kube-apiserver',
    command: binaries['kube-apiserver'],
    args: [
      `--advertise-address=${address}`,
      `--secure-port=${ports.apiServer}`,
      '--allow-privileged=true',
      '--authorization-mode=Node,RBAC',
      // PodSecurity is on by default; named here so that nobody wonders.
      '--enable-admission-plugins=NodeRestriction,PodSecurity',
      `--client-ca-file=${pki}/ca.crt`,
      `--tls-cert-file=${pki}/apiserver.crt`,
      `--tls-private-key-file=${pki}/apiserver.key`,
      `--etcd-servers=https://127.0.0.1:${ports.etcdClient}`,
      `--etcd-cafile=${pki}/etcd/ca.crt`,
      `--etcd-certfile=${pki}/apiserver-etcd-client.crt`,
      `--etcd-keyfile=${pki}/apiserver-etcd-client.key`,
      `--kubelet-client-certificate=${pki}/apiserver-kubelet-client.crt`,
      `--kubelet-client-key=${pki}/apiserver-kubelet-client.key`,
      '--kubelet-preferred-address-types=InternalIP',
      `--proxy-client-cert-file=${pki}/front-proxy-client.crt`,
      `--proxy-client-key-file=${pki}/front-proxy-client.key`,
      '--requestheader-allowed-names=front-proxy-client',
      `--requestheader-client-ca-file=${pki}/front-proxy-ca.crt`,
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-username-headers=X-Remote-User',
      `--service-account-issuer=https://kubernetes.default.svc.${network.dnsDomain}`,
      `--service-account-key-file=${pki}/sa.pub`,
      `--service-account-signing-key-file=${pki}/sa.key`,
      `--service-cluster-ip-range=${network.serviceCidr}`,
    ],
  };
}

/**
 * How the controller manager and the scheduler reach the API server: as their own user, by their
 * kubeconfig, for requests and for checking who calls them; serving on loopback only; alone, so
 * with no leader to elect.
 */
function controlPlaneClient(kubeconfig: string): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1',
    '--leader-elect=false',
  ];
}

function controllerManager({ layout, binaries }: HostProcessOptions): ProcessSpec {
  const pki = layout.pki;
  const kubeconfig = componentKubeconfig(layout, 'controller-manager');
  return {
    name: 'kube-controller-manager',
    command: binaries['kube-controller-manager'],
    args: [
      ...controlPlaneClient(kubeconfig),
      `--cluster-name=${nodeName}`,
      `--client-ca-file=${pki}/ca.crt`,
      `--requestheader-client-ca-file=${pki}/front-proxy-ca.crt`,
      `--root-ca-file=${pki}/ca.crt`,
      `--cluster-signing-cert-file=${pki}/ca.crt`,
      `--cluster-signing-key-file=${pki}/ca.key`,
      `--service-account-private-key-file=${pki}/sa.key`,
      '--use-service-account-credentials=true',
      '--allocate-node-cidrs=true',
      `--cluster-cidr=${network.podCidr}`,
      '--node-cidr-mask-size=24',
      `--service-cluster-ip-range=${network.serviceCidr}`,
    ],
  };
}

function scheduler({ layout, binaries }: HostProcessOptions): ProcessSpec {
  const kubeconfig = componentKubeconfig(layout, 'scheduler');
  return {
    name: 'kube-scheduler',
    command: binaries['kube-scheduler'],
    args: controlPlaneClient(kubeconfig),
  };
}

function criDockerd({ layout, binaries, pauseImage }: HostProcessOptions): ProcessSpec {
  return {
    name: 'cri-dockerd',
    command: binaries['cri-dockerd'],
    args: [
      `--container-runtime-endpoint=unix://${layout.criSocket}`,
      `--cri-dockerd-root-directory=${layout.criDockerdRoot}`,
      '--network-plugin=cni',
      `--cni-bin-dir=${cniPluginDir}`,
      `--cni-conf-dir=${layout.cniConfDir}`,
      `--cni-cache-dir=${layout.cniCacheDir}`,
      `--pod-infra-container-image=${pauseImage}`,
      // `kubectl exec` and `logs` stream through the kubelet; nothing else needs to reach this.
      '--streaming-bind-addr=127.0.0.1:0',
    ],
  };
}

/** The kubelet's configuration file: cgroup v1 allowed, the runtime's cgroupfs, and no image GC. */
export function kubeletConfig({ layout, address }: Pick<HostProcessOptions, 'layout' | 'address'>): string {
  return stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    // These machines mount only cgroup v1, which Kubernetes 1.35+ refuses unless told.
    failCgroupV1: false,
    cgroupDriver: 'cgroupfs',
    containerRuntimeEndpoint: `unix://${layout.criSocket}`,
    address,
    healthzBindAddress: '127.0.0.1',
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: `${layout.pki}/ca.crt` } },
    authorization: { mode: 'Webhook' },
    clusterDomain: network.dnsDomain,
    clusterDNS: [network.dnsServiceIp],
    // The images live in the machine's Docker, which also holds everything else the machine
    // built: the kubelet must never garbage-collect them, nor evict pods for a fuller disk.
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%' },
    failSwapOn: false,
    serializeImagePulls: false,
    // cri-dockerd 0.4.3 hands out relative streaming URLs, which Kubernetes 1.36's kubelet, with
    // this gate on, calls over HTTPS: `kubectl exec` and `attach` failed (Mirantis/cri-dockerd#569).
    featureGates: { ExtendWebSocketsToKubelet: false },
  });
}

function kubelet({ layout, binaries, address }: HostProcessOptions): ProcessSpec {
  return {
    name: 'kubelet',
    command: binaries['kubelet'],
    args: [
      `--config=${layout.kubeletConfig}`,
      `--kubeconfig=${componentKubeconfig(layout, 'kubelet')}`,
      `--hostname-override=${nodeName}`,
      `--node-ip=${address}`,
      `--root-dir=${layout.kubeletRoot}`,
    ],
  };
}

/** kube-proxy's configuration: iptables (this kernel has no IPVS), node ports on the node's address only. */
export function kubeProxyConfig(layout: RunLayout): string {
  return stringify({
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    mode: 'iptables',
    clusterCIDR: network.podCidr,
    hostnameOverride: nodeName,
    nodePortAddresses: ['primary'],
    clientConnection: { kubeconfig: hostUserKubeconfig(layout, hostUsers.kubeProxy) },
    // Leave the machine's conntrack table size as it is (a sandbox may refuse to change it).
    conntrack: { maxPerCore: 0 },
    metricsBindAddress: '127.0.0.1:10249',
    healthzBindAddress: '127.0.0.1:10256',
  });
}

function kubeProxy({ layout, binaries }: HostProcessOptions): ProcessSpec {
  return { name: 'kube-proxy', command: binaries['kube-proxy'], args: [`--config=${layout.kubeProxyConfig}`] };
}

function kubeRouter({ layout, binaries }: HostProcessOptions): ProcessSpec {
  return {
    name: 'kube-router',
    command: binaries['kube-router'],
    args: [
      `--kubeconfig=${hostUserKubeconfig(layout, hostUsers.kubeRouter)}`,
      `--hostname-override=${nodeName}`,
      // Only its NetworkPolicy firewall: routing is the bridge's, Services are kube-proxy's.
      '--run-firewall=true',
      '--run-router=false',
      '--run-service-proxy=false',
      '--health-port=20244',
      '--metrics-port=0',
    ],
  };
}

/**
 * The image registry on 127.0.0.1 (Debian's docker-registry, the Distribution registry): where
 * the stand-in base images are served from to the builder, and where a stack that pushes its
 * images (the kubeconfig target) pushes them for the kubelet to pull. Its data is in the run folder.
 */
export function registryConfig(layout: RunLayout): string {
  return stringify({
    version: 0.1,
    log: { level: 'warn' },
    storage: { filesystem: { rootdirectory: layout.registryData }, delete: { enabled: true } },
    http: { addr: `127.0.0.1:${ports.registry}` },
  });
}

function registry({ layout }: HostProcessOptions): ProcessSpec {
  return { name: 'registry', command: registryBinary, args: ['serve', layout.registryConfig] };
}

/** BuildKit's configuration: the local registry is plain HTTP. */
export function buildkitdConfig(): string {
  return `[registry."127.0.0.1:${ports.registry}"]\n  http = true\n`;
}

/**
 * The builder the docker-build provider builds with (docker-build.ts names it to buildx): BuildKit's
 * own daemon on a socket in the run folder, running build steps with runc, on the host's network.
 */
function buildkitd({ layout, binaries }: HostProcessOptions): ProcessSpec {
  return {
    name: 'buildkitd',
    command: binaries['buildkitd'],
    args: [
      `--root=${layout.buildkitRoot}`,
      `--addr=unix://${layout.buildkitSocket}`,
      `--config=${layout.buildkitConfig}`,
      '--oci-worker=true',
      '--containerd-worker=false',
    ],
  };
}

/** Debian's docker-registry package. */
export const registryBinary = '/usr/bin/docker-registry';

function loadBalancer({ layout, binaries }: HostProcessOptions): ProcessSpec {
  return {
    name: 'load-balancer',
    command: binaries['load-balancer'],
    args: [`--kubeconfig=${hostUserKubeconfig(layout, hostUsers.loadBalancer)}`, '--address=127.0.0.1'],
  };
}

/** The node's processes in start order, each group waited for before the next (cluster.ts). */
export function hostProcesses(options: HostProcessOptions) {
  return {
    /** Images: the registry and the builder, which wait for nothing and nothing waits for. */
    images: [registry(options), buildkitd(options)],
    store: etcd(options),
    apiServer: apiServer(options),
    controlPlane: [controllerManager(options), scheduler(options)],
    runtime: criDockerd(options),
    node: [kubelet(options), kubeProxy(options)],
    // kube-router identifies its node by name when it starts: it starts once the kubelet has
    // registered the node.
    addOns: [kubeRouter(options), ...(options.loadBalancer ? [loadBalancer(options)] : [])],
  };
}

/** The pods' network: a bridge with host-local addresses from the node's range, and ports mapped. */
export function cniConfig(layout: RunLayout, mtu: number): string {
  return `${JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: network.cniNetwork,
      plugins: [
        {
          type: 'bridge',
          bridge: network.bridge,
          isGateway: true,
          ipMasq: true,
          // A pod reaches itself through its own Service.
          hairpinMode: true,
          mtu,
          ipam: {
            type: 'host-local',
            dataDir: layout.cniIpamDir,
            ranges: [[{ subnet: network.nodePodCidr }]],
            routes: [{ dst: '0.0.0.0/0' }],
          },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
        // Docker sets the FORWARD chain's policy to DROP: this lets the pods' traffic through
        // (kube-router's policy chains come first and still judge it).
        { type: 'firewall', backend: 'iptables' },
      ],
    },
    null,
    2,
  )}\n`;
}

export const cniConfigFile = (layout: RunLayout) => path.join(layout.cniConfDir, '10-books-gateway.conflist');
