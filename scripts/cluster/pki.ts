import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { clusterName, contextName, network, nodeName, ports, type RunLayout } from './layout.js';

const execFileAsync = promisify(execFile);

/*
 * The cluster's certificates and kubeconfigs, made by Kubernetes' own kubeadm (its `init phase
 * certs` and `kubeconfig` phases, without the rest of `kubeadm init`, which would run the control
 * plane as static pods from images no registry here serves).
 */

/** The users the host processes outside the control plane act as, each with a certificate of its own. */
export const hostUsers = {
  kubeProxy: 'system:kube-proxy',
  kubeRouter: 'books-gateway:kube-router',
  loadBalancer: 'books-gateway:load-balancer',
} as const;

function kubeadmConfig(layout: RunLayout, address: string, kubernetesVersion: string): string {
  const init = {
    apiVersion: 'kubeadm.k8s.io/v1beta4',
    kind: 'InitConfiguration',
    localAPIEndpoint: { advertiseAddress: address, bindPort: ports.apiServer },
    nodeRegistration: { name: nodeName },
  };
  const cluster = {
    apiVersion: 'kubeadm.k8s.io/v1beta4',
    kind: 'ClusterConfiguration',
    kubernetesVersion: `v${kubernetesVersion}`,
    clusterName,
    certificatesDir: layout.pki,
    // What the kubeconfigs name: the host reaches the API on loopback.
    controlPlaneEndpoint: `127.0.0.1:${ports.apiServer}`,
    networking: { serviceSubnet: network.serviceCidr, podSubnet: network.podCidr, dnsDomain: network.dnsDomain },
    apiServer: { certSANs: ['127.0.0.1', 'localhost', address] },
    etcd: { local: { serverCertSANs: ['127.0.0.1'], peerCertSANs: ['127.0.0.1'] } },
  };
  return `${stringify(init)}---\n${stringify(cluster)}`;
}

async function kubeadm(binary: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(binary, args, { maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    throw new Error(`kubeadm ${args.slice(0, 3).join(' ')} failed: ${(stderr || message).trim()}`, { cause: error });
  }
}

/**
 * Writes the CA, the serving and client certificates, the service-account key pair and a
 * kubeconfig per component and host user into the run folder (private to root), and the users'
 * kubeconfig, whose context is `docker-desktop`.
 */
export async function makePki(
  layout: RunLayout,
  binaries: { kubeadm: string; kubectl: string },
  address: string,
  kubernetesVersion: string,
): Promise<void> {
  fs.mkdirSync(layout.kubeconfigs, { recursive: true, mode: 0o700 });
  fs.writeFileSync(layout.kubeadmConfig, kubeadmConfig(layout, address, kubernetesVersion), { mode: 0o600 });
  const config = ['--config', layout.kubeadmConfig];
  await kubeadm(binaries.kubeadm, ['init', 'phase', 'certs', 'all', ...config]);
  await kubeadm(binaries.kubeadm, ['init', 'phase', 'kubeconfig', 'all', ...config, '--kubeconfig-dir', layout.kubeconfigs]);
  for (const user of Object.values(hostUsers)) {
    const kubeconfig = await kubeadm(binaries.kubeadm, ['kubeconfig', 'user', '--client-name', user, ...config]);
    fs.writeFileSync(hostUserKubeconfig(layout, user), kubeconfig, { mode: 0o600 });
  }
  // admin.conf's user is in kubeadm:cluster-admins, bound to cluster-admin by the bootstrap objects.
  fs.copyFileSync(path.join(layout.kubeconfigs, 'admin.conf'), layout.kubeconfig);
  fs.chmodSync(layout.kubeconfig, 0o600);
  const current = (await execFileAsync(binaries.kubectl, ['config', 'current-context', '--kubeconfig', layout.kubeconfig])).stdout.trim();
  await execFileAsync(binaries.kubectl, ['config', 'rename-context', current, contextName, '--kubeconfig', layout.kubeconfig]);
}

/** The kubeconfig a control-plane component (kubeadm's name) or host user acts with. */
export function componentKubeconfig(layout: RunLayout, component: 'controller-manager' | 'scheduler' | 'kubelet' | 'super-admin'): string {
  return path.join(layout.kubeconfigs, `${component}.conf`);
}

export function hostUserKubeconfig(layout: RunLayout, user: string): string {
  return path.join(layout.kubeconfigs, `${user.replace(/[^a-z0-9-]+/g, '-')}.conf`);
}
