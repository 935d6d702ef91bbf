/** The bench's printed tables: plain text, columns aligned, one header row. */
import type { Summary } from './measure.js';
import type { TargetCost, TestSuiteCost } from './program-cost.js';

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ');
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

const rps = (value: number): string => Math.round(value).toString();
const ms = (value: number): string => value.toFixed(3);
const ratio = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(2)}x` : '-');

/** What each case key stands for, in the order the tables list them. */
export type CaseLabels = ReadonlyArray<[key: string, label: string]>;

function find(summaries: readonly Summary[], target: string, connections: number): Summary | undefined {
  return summaries.find((summary) => summary.target === target && summary.connections === connections);
}

export function loadTable(summaries: readonly Summary[], labels: CaseLabels): string {
  const connectionCounts = [...new Set(summaries.map((summary) => summary.connections))];
  const rows = connectionCounts.flatMap((connections) =>
    labels.flatMap(([key, label]) => {
      const summary = find(summaries, key, connections);
      if (!summary) return [];
      const [low, high] = summary.requestsPerSecondRange;
      const cpu = summary.proxyCpuUsPerRequest === undefined ? '-' : summary.proxyCpuUsPerRequest.toFixed(1);
      return [
        [
          label,
          String(connections),
          rps(summary.requestsPerSecond),
          `${rps(low)}-${rps(high)}`,
          ms(summary.p50Ms),
          ms(summary.p99Ms),
          String(summary.errors),
          cpu,
        ],
      ];
    }),
  );
  return table(['case', 'conns', 'req/s', 'rounds', 'p50 ms', 'p99 ms', 'errors', 'proxy cpu us/req'], rows);
}

/** The cases every other one is compared with: the API direct, the bare proxy, the main peer. */
export interface References {
  direct: string;
  floor: string;
  peer: string;
}

/**
 * Each case's throughput over the references' (and its p50 over the peer's), at every
 * connection count: one row per case and count.
 */
export function referenceTable(summaries: readonly Summary[], labels: CaseLabels, references: References): string {
  const connectionCounts = [...new Set(summaries.map((summary) => summary.connections))];
  const over = (top: Summary, key: string, value: (summary: Summary) => number) => {
    const bottom = find(summaries, key, top.connections);
    return bottom ? ratio(value(top) / value(bottom)) : '-';
  };
  const rows = connectionCounts.flatMap((connections) =>
    labels.flatMap(([key, label]) => {
      const summary = find(summaries, key, connections);
      if (!summary || key === references.direct) return [];
      const throughput = (reference: string) => over(summary, reference, (s) => s.requestsPerSecond);
      return [
        [
          label,
          String(connections),
          throughput(references.direct),
          throughput(references.floor),
          throughput(references.peer),
          over(summary, references.peer, (s) => s.p50Ms),
        ],
      ];
    }),
  );
  const name = (key: string) => labels.find(([candidate]) => candidate === key)?.[1].split(' ')[0] ?? key;
  return table(
    [
      'case',
      'conns',
      `req/s / ${name(references.direct)}`,
      `/ ${name(references.floor)}`,
      `/ ${name(references.peer)}`,
      `p50 / ${name(references.peer)}`,
    ],
    rows,
  );
}

export interface Ratio {
  connections: number;
  name: string;
  /** Requests per second of the first case over the second's. */
  throughput: number;
  /** Median latency added by the first case over the second, in microseconds. */
  addedP50Us: number;
  addedP99Us: number;
  /** The proxy's CPU time per request, first case minus second; undefined unless both have a proxy. */
  addedCpuUs?: number;
}

/** `[name, numerator case, denominator case]`: e.g. `['(c)/(a)', 'c', 'a']`. */
export type RatioSpec = readonly [name: string, over: string, under: string];

export function ratios(summaries: readonly Summary[], specs: readonly RatioSpec[]): Ratio[] {
  const connectionCounts = [...new Set(summaries.map((summary) => summary.connections))];
  return connectionCounts.flatMap((connections) =>
    specs.flatMap(([name, over, under]) => {
      const top = find(summaries, over, connections);
      const bottom = find(summaries, under, connections);
      if (!top || !bottom) return [];
      return [
        {
          connections,
          name,
          throughput: top.requestsPerSecond / bottom.requestsPerSecond,
          addedP50Us: (top.p50Ms - bottom.p50Ms) * 1000,
          addedP99Us: (top.p99Ms - bottom.p99Ms) * 1000,
          addedCpuUs:
            top.proxyCpuUsPerRequest === undefined || bottom.proxyCpuUsPerRequest === undefined
              ? undefined
              : top.proxyCpuUsPerRequest - bottom.proxyCpuUsPerRequest,
        },
      ];
    }),
  );
}

export function ratioTable(rows: readonly Ratio[]): string {
  return table(
    ['ratio', 'conns', 'req/s', 'p50 added us', 'p99 added us', 'proxy cpu added us/req'],
    rows.map((row) => [
      row.name,
      String(row.connections),
      ratio(row.throughput),
      row.addedP50Us.toFixed(0),
      row.addedP99Us.toFixed(0),
      row.addedCpuUs === undefined ? '-' : row.addedCpuUs.toFixed(1),
    ]),
  );
}

export function staticTable(summaries: readonly Summary[], labels: CaseLabels): string {
  return table(
    ['file (gzip)', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'bytes/req', 'errors'],
    labels.flatMap(([key, label]) =>
      summaries
        .filter((summary) => summary.target === key)
        .map((summary) => [
          label,
          String(summary.connections),
          rps(summary.requestsPerSecond),
          ms(summary.p50Ms),
          ms(summary.p99Ms),
          Math.round(summary.bytesPerRequest).toString(),
          String(summary.errors),
        ]),
    ),
  );
}

export function programTable(costs: readonly TargetCost[], tests: TestSuiteCost | undefined): string {
  const rows = costs.map((cost) => [
    cost.target,
    String(cost.resources),
    cost.harnessImportMs.toFixed(0),
    cost.firstRunMs.toFixed(0),
    cost.secondRunMs.toFixed(0),
    cost.processWallMs.toFixed(0),
  ]);
  const text = table(['target', 'resources', 'sdk import ms', '1st run ms', '2nd run ms', 'process ms'], rows);
  const testLine = tests
    ? `npm test: ${tests.wallSeconds.toFixed(1)} s wall, ${tests.passed ? 'passed' : `FAILED (output: ${tests.outputFile})`}`
    : 'npm test: not timed (add --with-tests)';
  return `${text}\n${testLine}`;
}

/** A goal for the gateway: one case's figure over a reference's, at one connection count. */
export interface Goal {
  name: string;
  over: string;
  under: string;
  connections: number;
  metric: 'requestsPerSecond' | 'p50Ms' | 'p99Ms' | 'proxyCpuUsPerRequest';
  /** The ratio must be at least this (throughput) ... */
  atLeast?: number;
  /** ... or at most this (latency, CPU). */
  atMost?: number;
}

export function goalLines(summaries: readonly Summary[], goals: readonly Goal[]): string {
  return goals
    .map((goal) => {
      const top = find(summaries, goal.over, goal.connections);
      const bottom = find(summaries, goal.under, goal.connections);
      const [over, under] = [top?.[goal.metric], bottom?.[goal.metric]];
      if (over === undefined || under === undefined) return `  ${goal.name}: not measured`;
      const value = over / under;
      const met = (goal.atLeast === undefined || value >= goal.atLeast) && (goal.atMost === undefined || value <= goal.atMost);
      const bound = goal.atLeast === undefined ? `<= ${ratio(goal.atMost ?? Infinity)}` : `>= ${ratio(goal.atLeast)}`;
      return `  ${met ? 'met   ' : 'MISSED'} ${goal.name}: ${ratio(value)} (goal ${bound})`;
    })
    .join('\n');
}
