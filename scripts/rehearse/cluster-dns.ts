/**
 * The rehearsal's cluster DNS: Debian's dnsmasq on the host, bound to the Docker network's
 * gateway address, answering each Service's names with the addresses of its ready pods (every
 * one, as for a headless Service) from a hosts file it re-reads on SIGHUP. Pods reach it as
 * `kube-dns.kube-system.svc.cluster.local`, as the gateway's `resolver` asks. A pod leaves a
 * Service by leaving this answer, while its open connections stay up, as in a cluster.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export const clusterDomain = 'cluster.local';
export const kubeDnsName = `kube-dns.kube-system.svc.${clusterDomain}`;
/** CoreDNS's default TTL in a cluster. */
const ttlSeconds = 5;

const dnsmasqBinary = ['/usr/sbin/dnsmasq', '/usr/bin/dnsmasq'].find((candidate) => existsSync(candidate));

/** The names of a Service, short to fully qualified, as a pod's search domains resolve them. */
export function serviceNames(service: string, namespace: string): string[] {
  return [`${service}.${namespace}.svc.${clusterDomain}`, `${service}.${namespace}.svc`, `${service}.${namespace}`, service];
}

export class ClusterDns {
  private readonly hostsFile: string;
  private child?: ChildProcess;
  private published = '';

  constructor(
    private readonly address: string,
    folder: string,
  ) {
    this.hostsFile = path.join(folder, 'cluster-dns.hosts');
  }

  /** The pid file a later run reads to stop this server if this process died without doing so. */
  static pidFile(folder: string): string {
    return path.join(folder, 'dnsmasq.pid');
  }

  async start(folder: string): Promise<void> {
    if (!dnsmasqBinary) throw new Error('dnsmasq is missing: as root, apt-get install -y dnsmasq-base');
    this.write(new Map());
    const child = spawn(
      dnsmasqBinary,
      [
        '--keep-in-foreground',
        '--conf-file=/dev/null',
        `--listen-address=${this.address}`,
        '--bind-interfaces',
        '--no-resolv',
        '--no-hosts',
        `--addn-hosts=${this.hostsFile}`,
        `--local=/${clusterDomain}/`,
        `--local-ttl=${ttlSeconds}`,
        `--pid-file=${ClusterDns.pidFile(folder)}`,
        '--user=root',
        '--log-facility=-',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.child = child;
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => (stderr += chunk));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, 500);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`dnsmasq on ${this.address} exited (${code}): ${stderr.trim()}`));
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  /** Publishes name → addresses (every name, including kube-dns, in one file) and makes dnsmasq re-read it. */
  publish(records: ReadonlyMap<string, readonly string[]>): void {
    const text = this.write(records);
    if (text !== this.published && this.child?.pid !== undefined) this.child.kill('SIGHUP');
    this.published = text;
  }

  private write(records: ReadonlyMap<string, readonly string[]>): string {
    const lines = [`${this.address} ${kubeDnsName} kube-dns.kube-system.svc kube-dns.kube-system`];
    for (const [name, addresses] of [...records].sort(([a], [b]) => a.localeCompare(b))) {
      for (const address of [...addresses].sort()) lines.push(`${address} ${name}`);
    }
    const text = `${lines.join('\n')}\n`;
    writeFileSync(this.hostsFile, text, { mode: 0o644 });
    return text;
  }

  stop(): void {
    this.child?.kill('SIGTERM');
  }
}
