/**
 * The kubelet's probes, run from the host against the pod's address on the Docker network:
 * httpGet (any status from 200 to 399 passes), tcpSocket (a connection opens), exec (exit 0).
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import type { IProbe } from 'kubernetes-models/v1';
import { docker } from './docker.js';

/** What a probe needs of its container: the pod's address, the container's named ports and id. */
export interface ProbeTarget {
  address: string;
  ports: ReadonlyMap<string, number>;
  containerId: string;
}

function portOf(port: number | string, target: ProbeTarget): number {
  if (typeof port === 'number') return port;
  const named = target.ports.get(port);
  if (named === undefined) throw new Error(`probe port ${port} is not a port of the container`);
  return named;
}

function httpProbe(host: string, port: number, path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve(status >= 200 && status < 400);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/** One probe attempt: true when it passes within the probe's timeoutSeconds. */
export async function probeOnce(probe: IProbe, target: ProbeTarget): Promise<boolean> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.httpGet) return httpProbe(target.address, portOf(probe.httpGet.port, target), probe.httpGet.path ?? '/', timeoutMs);
  if (probe.tcpSocket) return tcpProbe(target.address, portOf(probe.tcpSocket.port, target), timeoutMs);
  if (probe.exec?.command) {
    return docker(['exec', target.containerId, ...probe.exec.command], { timeoutMs })
      .then(() => true)
      .catch(() => false);
  }
  throw new Error('only httpGet, tcpSocket and exec probes are rehearsed');
}

/**
 * Runs a probe every periodSeconds after initialDelaySeconds; reports each change of its result
 * once failureThreshold failures or successThreshold successes in a row say so.
 */
export class ProbeLoop {
  private timer?: NodeJS.Timeout;
  private passing: boolean;
  private passed = false;
  private streak = 0;
  private stopped = false;

  constructor(
    private readonly probe: IProbe,
    private readonly target: () => ProbeTarget | undefined,
    private readonly onChange: (passing: boolean) => void,
    /** A readiness probe starts failing (not ready before its first pass); a liveness probe passing. */
    private readonly initiallyPassing: boolean,
  ) {
    this.passing = initiallyPassing;
  }

  start(): void {
    this.schedule((this.probe.initialDelaySeconds ?? 0) * 1000);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), delayMs);
  }

  private async tick(): Promise<void> {
    const target = this.target();
    const passed = target !== undefined && (await probeOnce(this.probe, target));
    if (this.stopped) return;
    this.passed ||= passed;
    this.streak = passed === this.passing ? 0 : this.streak + 1;
    const needed = passed ? (this.probe.successThreshold ?? 1) : (this.probe.failureThreshold ?? 3);
    if (this.streak >= needed) {
      this.passing = passed;
      this.streak = 0;
      this.onChange(passed);
    }
    // A readiness probe, until its first pass, every half second rather than every period: a pod
    // is ready as soon as it answers, which only shortens a rehearsal's start and its rollouts.
    this.schedule(this.passed || this.initiallyPassing ? (this.probe.periodSeconds ?? 10) * 1000 : 500);
  }
}
