import * as path from 'node:path';
import { clusterCacheDir } from './build/go-build.js';

/*
 * The single-node cluster's fixed facts: its names, networks and ports, and where one run keeps
 * its state. Docker Desktop's names where a stack or a user sees them (the node, the kubeconfig's
 * context and cluster), so the dev stack deploys here unchanged.
 */

export const clusterName = 'docker-desktop';
export const nodeName = 'docker-desktop';
/** The kubeconfig context the dev stack's provider uses (stacks/docker-desktop). */
export const contextName = 'docker-desktop';

export const network = {
  serviceCidr: '10.96.0.0/16',
  /** The `kubernetes` Service's address: the first of the service range. */
  apiServiceIp: '10.96.0.1',
  dnsServiceIp: '10.96.0.10',
  podCidr: '10.244.0.0/16',
  /** The node's share of the pod range, which the controller-manager allocates first. */
  nodePodCidr: '10.244.0.0/24',
  dnsDomain: 'cluster.local',
  /** The pods' bridge on the host. */
  bridge: 'cni0',
  cniNetwork: 'books-gateway',
} as const;

export const ports = {
  apiServer: 6443,
  etcdClient: 2379,
  etcdPeer: 2380,
  etcdMetrics: 2381,
  /**
   * The image registry, on 127.0.0.1: not Distribution's usual 5000, which Debian's
   * docker-registry package, once installed, serves on every address where systemd runs.
   */
  registry: 5050,
} as const;

/** The one run folder: a second run while it is in use refuses, a dead run's is cleaned up first. */
export function runDir(): string {
  return path.join(clusterCacheDir(), 'run');
}

/** Where one run keeps each part of its state. */
export function runLayout(root = runDir()) {
  return {
    root,
    owner: path.join(root, 'owner.json'),
    logs: path.join(root, 'logs'),
    pki: path.join(root, 'pki'),
    kubeadmConfig: path.join(root, 'kubeadm.yaml'),
    kubeconfigs: path.join(root, 'kubeconfigs'),
    /** The users' kubeconfig: cluster-admin, context `docker-desktop`. */
    kubeconfig: path.join(root, 'kubeconfig'),
    etcdData: path.join(root, 'etcd'),
    kubeletRoot: path.join(root, 'kubelet'),
    kubeletConfig: path.join(root, 'kubelet.yaml'),
    kubeProxyConfig: path.join(root, 'kube-proxy.yaml'),
    criDockerdRoot: path.join(root, 'cri-dockerd'),
    criSocket: path.join(root, 'cri-dockerd.sock'),
    cniConfDir: path.join(root, 'cni', 'net.d'),
    cniCacheDir: path.join(root, 'cni', 'cache'),
    cniIpamDir: path.join(root, 'cni', 'ipam'),
    /** daemon.json as the run found it, when it changed the Docker engine's runtime (docker-runtime.ts). */
    dockerConfigBackup: path.join(root, 'docker-daemon.json.backup'),
    registryConfig: path.join(root, 'registry.yaml'),
    registryData: path.join(root, 'registry'),
    /** BuildKit's state and layer cache: kept between runs, as Docker keeps its own (a cache, like Go's). */
    buildkitRoot: path.join(path.dirname(root), 'buildkit'),
    buildkitSocket: path.join(root, 'buildkitd.sock'),
    buildkitConfig: path.join(root, 'buildkitd.toml'),
    /** DOCKER_CONFIG for `pulumi up`: names BuildKit's daemon as buildx's builder (docker-build.ts). */
    dockerConfig: path.join(root, 'docker-config'),
    /** The PersistentVolumes' data (local-path-provisioner). */
    volumes: path.join(root, 'volumes'),
  };
}

export type RunLayout = ReturnType<typeof runLayout>;
