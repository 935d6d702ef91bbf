import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metricsPath } from '../../../apps/gateway/src/index.js';
import { ManagedProcess } from '../../../scripts/toolkit/managed-process.js';
import { freePort, waitUntilListening } from '../../../scripts/toolkit/ports.js';
import { eventually } from '../../../scripts/toolkit/eventually.js';

/** One series of an instant query's answer. */
export interface Sample {
  metric: Record<string, string>;
  value: number;
}

export interface Prometheus {
  readonly url: string;
  /** An instant query; fails on a PromQL error. */
  query(promql: string): Promise<Sample[]>;
  /**
   * Resolves once Prometheus holds a scrape that began a full interval after this call, so it
   * saw all traffic answered before it: nginx counts a request in its log phase, just after its
   * last write, which the client may already have read.
   */
  scrapedSinceNow(): Promise<void>;
}

/** Seconds between scrapes: short, so a test waits a second or two for what it just did. */
export const scrapeIntervalSeconds = 1;

/**
 * Debian's Prometheus (2.42) on 127.0.0.1 with a temporary configuration and storage, scraping
 * `target` (host:port) at `/metrics` every second. Started before the file's tests.
 */
export function usePrometheus(target: () => string): () => Prometheus {
  let folder: string | undefined;
  let server: ManagedProcess | undefined;
  let prometheus: Prometheus | undefined;

  before(async function () {
    this.timeout(30_000);
    folder = await mkdtemp(join(tmpdir(), 'metrics-prometheus-'));
    await chmod(folder, 0o755);
    const config = [
      'global:',
      `  scrape_interval: ${scrapeIntervalSeconds}s`,
      `  scrape_timeout: ${scrapeIntervalSeconds}s`,
      'scrape_configs:',
      '  - job_name: gateway',
      `    metrics_path: ${metricsPath}`,
      `    static_configs: [{ targets: ['${target()}'] }]`,
      '',
    ].join('\n');
    await writeFile(join(folder, 'prometheus.yml'), config);
    const port = await freePort();
    server = new ManagedProcess(
      {
        name: 'prometheus',
        command: 'prometheus',
        args: [
          `--config.file=${join(folder, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(folder, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--log.level=warn',
        ],
      },
      () => undefined,
      () => undefined,
    );
    server.start();
    await waitUntilListening(server, '127.0.0.1', port);
    const url = `http://127.0.0.1:${port}`;
    // It listens before its storage is open, answering 503 until then.
    await eventually('Prometheus is ready', async () => (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok === true, 20_000);
    const query = async (promql: string): Promise<Sample[]> => {
      const reply = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: promql }).toString()}`);
      const body = (await reply.json()) as {
        status: string;
        error?: string;
        data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
      };
      if (body.status !== 'success' || !body.data) throw new Error(`PromQL ${promql}: ${body.error ?? reply.status}`);
      if (body.data.resultType !== 'vector') throw new Error(`PromQL ${promql}: a ${body.data.resultType}, not an instant vector`);
      return body.data.result.map(({ metric, value }) => ({ metric, value: Number(value[1]) }));
    };
    const lastScrape = async () => (await query('timestamp(up{job="gateway"} == 1)'))[0]?.value ?? 0;
    prometheus = {
      url,
      query,
      async scrapedSinceNow() {
        const since = Date.now() / 1000 + scrapeIntervalSeconds;
        await eventually('Prometheus scraped the gateway', async () => (await lastScrape()) > since, 10_000);
      },
    };
  });

  after(async function () {
    this.timeout(10_000);
    await server?.stop();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  return () => {
    if (!prometheus) throw new Error('Prometheus is not running (its before hook failed)');
    return prometheus;
  };
}
