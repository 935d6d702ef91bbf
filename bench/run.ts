/**
 * `npm run bench`: what the gateway costs, measured on loopback in one run.
 *
 *   (a) two memory backends directly: nginx answering GET /books with the API's own body
 *   (b) nginx with the tutorial's configuration in front of them
 *   (c) our gateway, default rendering
 *   (d) our gateway with authentication and rate limiting on (limit too high to trigger)
 *   (e) HAProxy, (f) Caddy, each doing the gateway's job as closely as it can
 *   (g) nginx as a bare keepalive proxy: the floor of nginx's own cost
 *
 * at 1, 10 and 100 connections, interleaved, in rounds, every proxy with the same worker or
 * thread count and the same two memory backends behind it (the books API, reading PostgreSQL,
 * would be the bottleneck of every case and hide what each proxy costs); then reads and writes
 * (POST /books, then GET of the book created) of the books API itself, directly and through
 * the gateway with auth; then the static page through the
 * gateway (gzip), variants of the gateway's tunable settings, the full metrics on against off
 * (nginx with njs >= 0.8.8, in Docker: bench/metrics-cost.ts), and the Pulumi program's own cost.
 * Prints tables and writes them as JSON to bench/results/.
 *
 *   npm run bench [-- --quick | --rounds 3 --duration 2 --sections gateway,static,tuning,profile,metrics,program --nginx stand-in --with-tests]
 *
 * `--nginx stand-in` runs every nginx of the proxies' cases on the stand-in of the gateway image's
 * nginx (scripts/images/stand-in-nginx-on-host.ts) rather than Debian's, the rest unchanged.
 *
 * The default (gateway, static, program; 3 rounds of 2 s) takes about 5 minutes on 2 cores;
 * more rounds (`--rounds 7`) narrow the medians; `--sections` adds tuning (about 2 minutes), profile
 * (instructions per request by callgrind, bench/instruction-profile.ts, about 5 minutes) and
 * metrics (Docker, at least 5 rounds). `--quick` measures the gateway table alone, one round of
 * 1 s per case, in under 30 s (42 s with the build npm run bench starts with): rough figures, for a first look.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { standInNginxOnHost } from '../scripts/images/stand-in-nginx-on-host.js';
import { type NginxBuild, debianNginx } from '../scripts/toolkit/nginx.js';
import { parseCommandLine, refuseOption } from '../scripts/toolkit/command-line.js';
import { onStopRequest } from '../scripts/toolkit/stop-request.js';
import { runSetup } from '../scripts/toolkit/setup.js';
import { failureMessage } from '../scripts/toolkit/user-error.js';
import { startBenchSystem } from './bench-system.js';
import { type GatewayVariant, authGateway, defaultGateway, tuningVariants } from './configurations.js';
import { type LoadGenerator, chooseLoadGenerator } from './load-generator.js';
import { type InstructionCount, type ProfileCase, type ProfilePlan, profileInstructions, profileTable } from './instruction-profile.js';
import { type MetricsCost, cpuTable, measureMetricsCost, metricsCases } from './metrics-cost.js';
import { type MeasurePlan, type Summary, type Target, measureInterleaved } from './measure.js';
import { type TargetCost, type TestSuiteCost, measureProgramCost, measureTestSuite } from './program-cost.js';
import { type PeerName, haproxyBinary } from './peer-server.js';
import {
  type CaseLabels,
  type Goal,
  type RatioSpec,
  type References,
  goalLines,
  loadTable,
  programTable,
  ratioTable,
  ratios,
  referenceTable,
  staticTable,
} from './report.js';

const allSections = ['gateway', 'static', 'tuning', 'profile', 'metrics', 'program'];

const usage = [
  'Usage: npm run bench [-- options]',
  '',
  "What the gateway costs, on loopback in one run: the tutorial's nginx, the gateway (default, and",
  'with auth and a limit), HAProxy, Caddy and a bare nginx proxy, each in front of the same backends',
  'answering GET /books from memory, and those backends direct, at 1, 10 and 100 connections,',
  'interleaved; then the books API itself read and written (POST, then GET of the book), direct and',
  'through the gateway with auth; tables on stdout, JSON in bench/results/.',
  '',
  'Options:',
  '  --quick             the gateway table alone (no writes), 1 round of 1 s per case: rough figures',
  '  --rounds N          rounds per case (default 3)',
  '  --duration S        seconds per case and round (default 2)',
  `  --sections LIST     of ${allSections.join(', ')} (default gateway,static,program); tuning: each`,
  '                      setting and feature of the gateway alone, under load; profile: the instructions per',
  "                      request of each feature and of HAProxy (valgrind's callgrind); metrics: in Docker",
  "  --nginx BUILD       the nginx of the proxies' cases: debian (npm run local's, the default) or",
  "                      stand-in (the stand-in of the gateway image's: Debian sid's nginx and njs, unpacked",
  '                      from its Docker image; built first if need be)',
  '  --with-tests        also time npm test',
  '  --build             check the Debian packages and build the services first (npm run bench does)',
  '  -h, --help          this text',
].join('\n');

const flags = parseCommandLine(
  process.argv.slice(2),
  {
    quick: { type: 'boolean' },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    sections: { type: 'string' },
    nginx: { type: 'string' },
    'with-tests': { type: 'boolean' },
    build: { type: 'boolean' },
  },
  usage,
);
const quick = flags['quick'] === true;

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) refuseOption(`--${name} must be a whole number above 0, got '${text}'`, usage);
  return value;
}

// Tuning (each setting and feature of the gateway alone) and metrics (in Docker) are opt-in, so
// the default run stays near 5 minutes on 2 cores.
const sections = new Set(
  ((flags['sections'] as string | undefined) ?? (quick ? 'gateway' : 'gateway,static,program')).split(',').map((section) => section.trim()),
);
for (const section of sections) {
  if (!allSections.includes(section)) refuseOption(`--sections: '${section}' is none of ${allSections.join(', ')}`, usage);
}
const nginxChoices = ['debian', 'stand-in'];
const nginxChoice = (flags['nginx'] as string | undefined) ?? 'debian';
if (!nginxChoices.includes(nginxChoice)) refuseOption(`--nginx: '${nginxChoice}' is neither of ${nginxChoices.join(', ')}`, usage);
const rounds = positiveInteger('rounds', (flags['rounds'] as string | undefined) ?? (quick ? '1' : '3'));
const duration = positiveInteger('duration', (flags['duration'] as string | undefined) ?? (quick ? '1' : '2'));
// Quick mode skips the warm-up second too: its figures are rough anyway.
const mainPlan: MeasurePlan = { connectionCounts: [1, 10, 100], rounds, durationSeconds: duration, warmUp: !quick };
/** The static files and the tuning variants are measured at fewer points, so the run stays bounded. */
const staticPlan: MeasurePlan = { connectionCounts: [10], rounds, durationSeconds: duration };
const tuningPlan: MeasurePlan = { connectionCounts: [10, 100], rounds, durationSeconds: Math.max(1, Math.floor(duration / 2)) };
/**
 * Requests of callgrind's two runs per case: 300 fill the pools and caches, 700 more are counted,
 * all on one connection (nginx closes a keepalive connection after its 1,000th request).
 */
const profilePlan: ProfilePlan = { low: 300, high: 1000 };
/** The gateway as rendered, with auth on, and each of its features turned off alone. */
const profileCases: readonly ProfileCase[] = [
  { variant: defaultGateway },
  { variant: authGateway.variant, headers: authGateway.headers },
  ...tuningVariants.filter(({ name }) => name.startsWith('-')).map((variant) => ({ variant })),
];
/** At least 5 rounds: the metrics' cost is a few percent at most, below the noise of fewer. */
const metricsPlan: MeasurePlan = { connectionCounts: [10, 100], rounds: Math.max(5, rounds), durationSeconds: duration };

/** The books API itself (PostgreSQL behind it), read and written, directly and through the gateway with auth. */
const writeLabels: CaseLabels = [
  ['a-api', 'books API direct, reads'],
  ['a-writes', 'books API direct, writes'],
  ['d-api', 'gateway+auth, reads'],
  ['d-writes', 'gateway+auth, writes'],
];
/** What the books API takes as the gateway's word on who writes (the gateway sets it in (d)). */
const directIdentity = { 'X-Auth-Subject': 'bench', 'X-Auth-Method': 'api-key' };

const caseLabels: CaseLabels = [
  ['a', '(a) memory backends direct'],
  ['b', '(b) tutorial nginx'],
  ['c', '(c) gateway'],
  ['d', '(d) gateway+auth+limit'],
  ['e', '(e) HAProxy'],
  ['f', '(f) Caddy'],
  ['g', '(g) bare nginx'],
];
const peerCases: ReadonlyArray<[key: string, peer: PeerName]> = [
  ['e', 'haproxy'],
  ['f', 'caddy'],
  ['g', 'bare nginx'],
];
const references: References = { direct: 'a', floor: 'g', peer: 'e' };
/**
 * The gateway's goals: as deployed (c) and with auth on (d), at least HAProxy's throughput doing
 * the same job, its p99 within 10% and its CPU per request within 5%, at every connection count;
 * and at least 0.9x the bare nginx proxy at 100 connections. Judged on the median of three runs.
 */
const goals: readonly Goal[] = [
  ...(['c', 'd'] as const).flatMap((over) =>
    [1, 10, 100].flatMap((connections): Goal[] => [
      { name: `(${over})/(e) req/s at ${connections}`, over, under: 'e', connections, metric: 'requestsPerSecond', atLeast: 1 },
      { name: `(${over})/(e) p99 at ${connections}`, over, under: 'e', connections, metric: 'p99Ms', atMost: 1.1 },
      { name: `(${over})/(e) cpu/req at ${connections}`, over, under: 'e', connections, metric: 'proxyCpuUsPerRequest', atMost: 1.05 },
    ]),
  ),
  { name: '(c)/(g) req/s at 100', over: 'c', under: 'g', connections: 100, metric: 'requestsPerSecond', atLeast: 0.9 },
];
/** Every proxy gets as many workers (nginx) or threads (HAProxy, Caddy) as there are cores. */
const workers = availableParallelism();
const ratioSpecs: readonly RatioSpec[] = [
  ['(c)/(a)', 'c', 'a'],
  ['(c)/(b)', 'c', 'b'],
  ['(d)/(c)', 'd', 'c'],
];
const staticLabels: CaseLabels = [
  ['index', 'index.html'],
  ['bundle', 'JS bundle'],
  ['bundle-dynamic', 'JS bundle, gzip per request'],
];
const gzip = { 'Accept-Encoding': 'gzip' };

const log = (line: string) => process.stderr.write(`${line}\n`);
const resultsDir = join(__dirname, 'results');

function peerVersions(): string {
  const haproxy = spawnSync(haproxyBinary, ['-v'], { encoding: 'utf8' }).stdout.match(/version (\S+)/)?.[1] ?? 'unknown';
  const caddy = spawnSync('caddy', ['version'], { encoding: 'utf8' }).stdout.trim().split(' ')[0] ?? 'unknown';
  return `HAProxy ${haproxy}, Caddy ${caddy}`;
}

interface Measured {
  gateway: Summary[];
  writes: Summary[];
  staticPage: Summary[];
  tuning: Summary[];
  profile: InstructionCount[];
}

/** Starts every server, drives the load of the chosen sections, stops every server. */
async function measureLoad(generator: LoadGenerator, variants: readonly GatewayVariant[], nginx: NginxBuild): Promise<Measured> {
  const measured: Measured = { gateway: [], writes: [], staticPage: [], tuning: [], profile: [] };
  if (!['gateway', 'static', 'tuning', 'profile'].some((section) => sections.has(section))) return measured;
  log(`load generator: ${generator.name}; starting books, the page, the tutorial's nginx and the gateways on 127.0.0.1 ...`);
  // The default rendering is case (c) and the tuning baseline: started once, like the others.
  const peers = sections.has('gateway') ? peerCases.map(([, peer]) => peer) : [];
  const system = await startBenchSystem([authGateway.variant, ...new Set([defaultGateway, ...variants])], peers, workers, nginx);
  // However often it comes (a terminal's Ctrl-C reaches npm and the bench alike), a stop request
  // stops every server once and exits 130; the servers run in process groups of their own. The
  // load then running fails on the stopped servers, and ends in the same stop, not as an error.
  // The profile's servers are its own: aborted, it stops the one it counts and removes its folder.
  let stopping: Promise<void> | undefined;
  const abortProfile = new AbortController();
  let profiling: Promise<unknown> = Promise.resolve();
  const stopWatching = onStopRequest((why) => {
    log(`stopping: ${why}`);
    abortProfile.abort();
    stopping = Promise.all([system.stop(), profiling.catch(() => undefined)])
      .then(() => undefined)
      .finally(() => process.exit(130));
  });
  const gatewayOf = (variant: GatewayVariant) => {
    const server = system.variants.get(variant.name);
    if (!server) throw new Error(`gateway variant '${variant.name}' was not started`);
    return server;
  };
  const through = (server: { url: string; pid: number }, headers?: Record<string, string>) => ({
    url: `${server.url}/books`,
    proxyPid: server.pid,
    headers,
  });
  const gatewayUrl = gatewayOf(defaultGateway).url;
  try {
    if (sections.has('gateway')) {
      log('gateway cases:');
      const direct = (key: string, urls: readonly string[]): Target => ({
        key,
        url: `${urls[0] ?? ''}/books`,
        spreadPorts: urls.map((url) => Number(new URL(url).port)),
      });
      const targets: Target[] = [
        direct('a', system.memoryUrls),
        { key: 'b', ...through(system.tutorial) },
        { key: 'c', ...through(gatewayOf(defaultGateway)) },
        { key: 'd', ...through(gatewayOf(authGateway.variant), authGateway.headers) },
        ...peerCases.map(([key, peer]) => {
          const server = system.peers.get(peer);
          if (!server) throw new Error(`${peer} was not started`);
          return { key, ...through(server) };
        }),
      ];
      measured.gateway = await measureInterleaved(generator, targets, mainPlan, log);
      // The quick mode is the gateway table alone, in under 30 s without the build: the writes' table comes with a full run.
      if (!quick) {
        log('write cases:');
        const writeTargets: Target[] = [
          direct('a-api', system.booksUrls),
          { ...direct('a-writes', system.booksUrls), headers: directIdentity, writes: true },
          { key: 'd-api', ...through(system.apiGateway, authGateway.headers) },
          { key: 'd-writes', ...through(system.apiGateway, authGateway.headers), writes: true },
        ];
        measured.writes = await measureInterleaved(generator, writeTargets, mainPlan, log);
      }
    }
    if (sections.has('static')) {
      log('static page through the gateway:');
      const targets: Target[] = [
        { key: 'index', url: `${gatewayUrl}/`, headers: gzip },
        { key: 'bundle', url: `${gatewayUrl}${system.bundlePath}`, headers: gzip },
        { key: 'bundle-dynamic', url: `${system.perRequestGzipPageGatewayUrl}${system.bundlePath}`, headers: gzip },
      ];
      measured.staticPage = await measureInterleaved(generator, targets, staticPlan, log);
    }
    if (variants.length > 0) {
      log('tuning variants:');
      const targets = variants.map((variant) => ({ key: variant.name, ...through(gatewayOf(variant)) }));
      measured.tuning = await measureInterleaved(generator, targets, tuningPlan, log);
    }
    if (sections.has('profile')) {
      log('instructions per request (callgrind):');
      const backends = system.memoryUrls.map((url) => Number(new URL(url).port));
      const profile = profileInstructions(nginx, profileCases, backends, profilePlan, log, abortProfile.signal);
      profiling = profile;
      measured.profile = await profile;
    }
  } finally {
    await (stopping ?? system.stop());
    stopWatching();
  }
  return measured;
}

async function main(): Promise<void> {
  if (flags['build'] === true) await runSetup(['--bench']).done;
  await mkdir(resultsDir, { recursive: true });
  log(
    quick
      ? 'mode: quick (the gateway table alone, 1 round of 1 s per case: rough figures)'
      : `mode: full (${rounds} rounds of ${duration} s per case)`,
  );
  const generator = chooseLoadGenerator();
  const nginx = nginxChoice === 'stand-in' ? await standInNginxOnHost(log) : await debianNginx();
  log(`nginx of the proxies' cases: ${nginx.description}`);
  const variants = sections.has('tuning') ? tuningVariants : [];
  const { gateway, writes, staticPage, tuning, profile } = await measureLoad(generator, variants, nginx);
  let metrics: MetricsCost | undefined;
  if (sections.has('metrics')) metrics = await measureMetricsCost(generator, metricsPlan, log);
  const metricsRatios = metrics ? ratios(metrics.summaries, [['metrics on / off', 'metrics-on', 'metrics-off']]) : [];

  let program: TargetCost[] = [];
  if (sections.has('program')) {
    log('evaluating the Pulumi program under mocks, one process per target ...');
    try {
      program = await measureProgramCost();
    } catch (error) {
      // Minutes of load figures are worth printing even when the program no longer evaluates.
      log(`the Pulumi program failed to evaluate, its table is left out: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  let tests: TestSuiteCost | undefined;
  if (flags['with-tests'] === true) {
    log('running npm test ...');
    tests = await measureTestSuite(join(resultsDir, 'npm-test.log'));
  }

  const gatewayRatios = ratios(gateway, ratioSpecs);
  const tuningLabels: CaseLabels = variants.map((variant) => [variant.name, variant.name]);
  const tuningRatios = ratios(
    tuning,
    variants
      .filter((variant) => variant !== defaultGateway)
      .map((variant): RatioSpec => [`${variant.name} / default`, variant.name, defaultGateway.name]),
  );

  const report = [
    `${quick ? 'Quick mode: rough figures. ' : ''}${generator.description}; ${rounds} rounds, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), nginx ${nginx.description}, ${peerVersions()}, Node ${process.version}`,
    ...(gateway.length > 0
      ? [
          `GET /books, ${mainPlan.durationSeconds} s per case and round, the same two memory backends behind every case (the API's GET /books body, from memory)`,
          loadTable(gateway, caseLabels),
          [
            `Every proxy runs ${workers} workers or threads (nginx worker_processes, HAProxy nbthread, Caddy GOMAXPROCS); proxy cpu: user+system time of its processes over the run (/proc/<pid>/stat), per request served.`,
            `(d) adds ${authGateway.variant.change}; each request carries an API key.`,
            '(e), (f) route, refuse methods, reuse backend connections, pass on and return a request id, add the security headers and write a JSON access log like the gateway;',
            `(e) limits each client with a stick table, as the gateway does, never reached; (f) has no limit: Caddy 2.6 has no rate limiting (only a third-party plugin).`,
            '(g) proxies over keepalive pools and does nothing else (no log, no headers). The load generator is one address standing for many clients: every limit is set above its rate.',
          ].join('\n'),
          ratioTable(gatewayRatios),
          referenceTable(gateway, caseLabels, references),
          `Goals for the gateway, this run alone (they are judged on the median of three runs):\n${goalLines(gateway, goals)}`,
          ...(writes.length > 0
            ? [
                `The books API itself, its books in PostgreSQL (the local run's), directly and through the gateway with auth: reads (GET /books), and writes, where each connection POSTs a new book (201) and then GETs it by its Location (200), so half the requests are each; ${mainPlan.durationSeconds} s per case and round`,
                loadTable(writes, writeLabels),
              ]
            : []),
        ]
      : []),
    ...(staticPage.length > 0
      ? [
          'Static page through the gateway, Accept-Encoding: gzip (served from the .gz files the build writes; last row: compressed per request instead)',
          staticTable(staticPage, staticLabels),
        ]
      : []),
    ...(tuning.length > 0
      ? [
          `Gateway tuning, GET /books, ${tuningPlan.durationSeconds} s per case and round: each setting alone against the default; '-x': feature x alone turned off, what it costs`,
          variants.map((variant) => `  ${variant.name}: ${variant.change}`).join('\n'),
          loadTable(tuning, tuningLabels),
          ratioTable(tuningRatios),
        ]
      : []),
    ...(profile.length > 0
      ? [
          `Instructions per GET /books in user space (callgrind; one worker or thread, one keepalive connection, the memory backends; the difference between ${profilePlan.high} and ${profilePlan.low} requests), on ${nginx.description}: the gateway as rendered, with auth on (an API key on every read), each feature alone turned off, and HAProxy doing the gateway's job`,
          profileCases.map(({ variant }) => `  ${variant.name}: ${variant.change}`).join('\n'),
          profileTable(profile),
        ]
      : []),
    ...(metrics
      ? [
          `Metrics, GET /books, ${metricsPlan.durationSeconds} s per case and round, ${metricsPlan.rounds} rounds, on ${metrics.nginx} in Docker (host network): the full set against nginx's counters only`,
          loadTable(metrics.summaries, metricsCases),
          ratioTable(metricsRatios),
          "The gateway container's CPU per request (its cgroup's counter), median of the rounds:",
          cpuTable(metrics.cpu),
          metrics.counted >= metrics.driven
            ? `The metrics counted ${metrics.counted} requests; the load generator had ${metrics.driven} answered by that gateway (the difference: requests cut off when a run stopped, which nginx still logged).`
            : `THE METRICS LOST REQUESTS: they counted ${metrics.counted}, fewer than the ${metrics.driven} the load generator had answered by that gateway.`,
        ]
      : []),
    ...(program.length > 0 || tests ? ['The Pulumi program under mocks, a fresh process per target', programTable(program, tests)] : []),
  ];
  process.stdout.write(`\n${report.join('\n\n')}\n`);

  const file = join(resultsDir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const results = {
    date: new Date().toISOString(),
    machine: { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version, nginx: nginx.description, peers: peerVersions() },
    loadGenerator: generator.description,
    workers,
    plans: { gateway: mainPlan, static: staticPlan, tuning: tuningPlan, profile: profilePlan },
    cases: Object.fromEntries(caseLabels),
    authCase: authGateway.variant.change,
    gateway,
    writes,
    ratios: gatewayRatios,
    goals: goalLines(gateway, goals).split('\n'),
    static: staticPage,
    tuning: { variants: variants.map(({ name, change }) => ({ name, change })), results: tuning, ratios: tuningRatios },
    profile,
    metrics: metrics && { plan: metricsPlan, ...metrics, ratios: metricsRatios },
    program,
    tests,
  };
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  log(`results written to ${file}`);
}

main().catch((error: unknown) => {
  console.error(failureMessage(error));
  process.exit(1);
});
