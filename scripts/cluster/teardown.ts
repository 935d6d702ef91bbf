import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import { docker } from '../toolkit/docker.js';
import { network } from './layout.js';

const execFileAsync = promisify(execFile);

/*
 * What a run leaves outside its own processes, removed when it stops (or by the next run, when it
 * was killed): the pods' containers in Docker, the iptables chains and ipsets of kube-proxy,
 * kube-router and the CNI plugins, the pods' bridge, and the kubelet's mounts under the run folder.
 */

/** Runs a command whose failure only means there was nothing to remove. */
async function quietly(command: string, args: string[]): Promise<void> {
  await execFileAsync(command, args).catch(() => undefined);
}

/**
 * The pods' containers: cri-dockerd labels every container it creates with its pod's uid. Only
 * one cluster of this kind runs per Docker engine (its node name and ports are fixed).
 */
export async function removePodContainers(): Promise<void> {
  const ids = (await docker(['ps', '-aq', '--filter', 'label=io.kubernetes.pod.uid'])).split('\n').filter(Boolean);
  if (ids.length > 0) await docker(['rm', '-f', '-v', ...ids]);
}

/** Removes every iptables chain whose name starts with one of `prefixes`, and the jumps to it. */
async function removeChains(prefixes: string[]): Promise<void> {
  for (const table of ['filter', 'nat', 'mangle']) {
    const { stdout } = await execFileAsync('iptables', ['-t', table, '-S']).catch(() => ({ stdout: '' }));
    const owned = (chain: string) => prefixes.some((prefix) => chain.startsWith(prefix));
    const rules = stdout.split('\n');
    // Jumps from the chains that stay go first, then the chains themselves.
    for (const rule of rules) {
      const match = /^-A (\S+) (.*-j (\S+).*)$/.exec(rule);
      if (match && !owned(match[1]) && owned(match[3])) await quietly('iptables', ['-t', table, '-D', match[1], ...splitRule(match[2])]);
    }
    const chains = rules
      .map((rule) => /^-N (\S+)$/.exec(rule)?.[1])
      .filter((chain): chain is string => chain !== undefined && owned(chain));
    for (const chain of chains) await quietly('iptables', ['-t', table, '-F', chain]);
    for (const chain of chains) await quietly('iptables', ['-t', table, '-X', chain]);
  }
}

/** `iptables -S` quotes arguments with spaces (comments): split it as a shell would. */
function splitRule(rule: string): string[] {
  return (rule.match(/"[^"]*"|\S+/g) ?? []).map((part) => part.replace(/^"(.*)"$/, '$1'));
}

/** kube-proxy's, kube-router's and the CNI plugins' iptables chains and ipsets, and the bridge. */
export async function removeNetworking(binaries: { kubeProxy?: string; kubeRouter?: string }): Promise<void> {
  if (binaries.kubeProxy) await quietly(binaries.kubeProxy, ['--cleanup']);
  if (binaries.kubeRouter) await quietly(binaries.kubeRouter, ['--cleanup-config']);
  await removeChains(['KUBE-', 'CNI-']);
  // kube-router's sets, once no rule refers to them.
  const { stdout } = await execFileAsync('ipset', ['list', '-n']).catch(() => ({ stdout: '' }));
  for (const set of stdout.split('\n').filter((name) => name.startsWith('KUBE-'))) await quietly('ipset', ['destroy', set]);
  await quietly('ip', ['link', 'delete', network.bridge]);
}

/** Unmounts whatever the kubelet mounted under `root` (Secret and projected volumes), deepest first. */
export async function unmountUnder(root: string): Promise<void> {
  const mountPoints = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined && (point === root || point.startsWith(`${root}/`)))
    .sort((a, b) => b.length - a.length);
  for (const point of mountPoints) await quietly('umount', ['-l', point]);
}
