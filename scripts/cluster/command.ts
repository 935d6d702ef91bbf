/**
 * `npm run cluster`: a real single-node Kubernetes on this machine (cluster.ts), built from Go
 * modules and cached outside the repository (build/), with the Pulumi CLI and the plugins the
 * stacks load. It prints the shell lines that use it, and stops and removes everything on Ctrl-C
 * (even twice), SIGTERM or SIGHUP.
 */
import * as path from 'node:path';
import { parseCommandLine } from '../toolkit/command-line.js';
import { runSetup } from '../toolkit/setup.js';
import { onStopRequest } from '../toolkit/stop-request.js';
import { hostPlatform, standInBaseImages, standInPostgresImage } from '../images/stand-ins.js';
import { failureMessage, UserError } from '../toolkit/user-error.js';
import { buildComponents, moduleSource } from './build/go-build.js';
import { podMonitorCrdFile } from './prometheus-operator.js';
import { recipes, versions } from './build/recipes.js';
import { Cluster } from './cluster.js';
import { preparePulumi } from './pulumi-home.js';
import { publishImage, publishStandIns } from './stand-in-registry.js';

export const usage = [
  'Usage: npm run cluster [-- options]        (as root)',
  '',
  `Builds what is missing (Kubernetes ${versions.kubernetes}, etcd, cri-dockerd, CoreDNS, kube-router, the`,
  `Pulumi CLI ${versions.pulumi} and its plugins), starts a single-node Kubernetes on the local Docker`,
  'engine, waits until its node is Ready and its DNS answers, and prints the shell lines that',
  'use it: kubectl, pulumi and the pinned Node on PATH, the kubeconfig (context docker-desktop).',
  'Ctrl-C, SIGTERM or SIGHUP stop it and remove everything it made.',
  '',
  'Options:',
  "  --stand-in-base-images  also make the stand-in base images and PostgreSQL's, push them",
  "                          to the cluster's registry, and print the `pulumi config set",
  '                          baseImages` and `postgresImage` lines that use them',
  '  --no-load-balancer      start without the LoadBalancer controller: Services of that type',
  '                          get no address, as on kind or minikube without a tunnel',
  '  --build-only            build what is missing, print where it is, and exit',
  '  -h, --help              this text',
  '',
  'While it runs, SIGUSR1 stops its API server and SIGUSR2 starts it again: what a stack does',
  'with a cluster it cannot reach (the tests use it).',
].join('\n');

const repoRoot = path.resolve(__dirname, '..', '..');

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

export async function clusterMain(argv: string[]): Promise<void> {
  const flags = parseCommandLine(
    argv,
    { 'stand-in-base-images': { type: 'boolean' }, 'no-load-balancer': { type: 'boolean' }, 'build-only': { type: 'boolean' } },
    usage,
  );
  const log = (line: string) => print(`cluster: ${line}`);
  await runSetup(['--cluster'], false).done;
  const components = await buildComponents(recipes, log);
  const pulumi = await preparePulumi(components);
  if (flags['build-only'] === true) {
    log(`built: ${[...components.values()].map((component) => `${component.recipe.name} ${component.recipe.version}`).join(', ')}`);
    // Cached now, like the builds, for the test that installs it (test/cluster/pod-monitor.test.ts).
    log(`PodMonitor CRD: ${await podMonitorCrdFile()}`);
    return;
  }
  if (process.getuid?.() !== 0)
    throw new UserError('npm run cluster runs a kubelet, kube-proxy and a network policy engine: run it as root');
  const standIns = flags['stand-in-base-images'] === true ? await standInBaseImages(log) : undefined;
  const postgresStandIn = flags['stand-in-base-images'] === true ? await standInPostgresImage(log) : undefined;
  const cluster = new Cluster({
    components,
    kubernetesSource: await moduleSource('k8s.io/kubernetes', `v${versions.kubernetes}`),
    loadBalancer: flags['no-load-balancer'] !== true,
    log,
  });

  let stopping = false;
  onStopRequest((why) => {
    stopping = true;
    log(`stopping: ${why}; removing the node's processes, the pods' containers, the network, ${cluster.layout.root}`);
    cluster.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`npm run cluster: ${failureMessage(error)}\n`);
        process.exit(1);
      },
    );
  });

  try {
    await cluster.start();
  } catch (error) {
    // Stopped while it started: the stop request's handler exits once everything is removed.
    if (stopping) return;
    throw error;
  }
  const toggle = (signal: 'SIGUSR1' | 'SIGUSR2', action: () => Promise<void>, done: string) =>
    process.on(signal, () => {
      action().then(
        () => log(done),
        (error: unknown) => log(`${signal}: ${failureMessage(error)}`),
      );
    });
  toggle('SIGUSR1', () => cluster.pauseApiServer(), 'the API server is stopped (SIGUSR1); SIGUSR2 starts it again');
  toggle('SIGUSR2', () => cluster.resumeApiServer(), 'the API server is ready again (SIGUSR2)');
  const kubectlDir = path.dirname(components.get('kubernetes')!.binaries['kubectl']);
  print(`export KUBECONFIG=${cluster.kubeconfig}`);
  print(`export PATH=${[kubectlDir, path.dirname(pulumi.cli), path.dirname(process.execPath)].join(':')}:$PATH`);
  const env = { ...pulumi.env, DOCKER_CONFIG: cluster.layout.dockerConfig };
  print(
    `export ${Object.entries(env)
      .map(([name, value]) => `${name}=${value}`)
      .join(' ')}`,
  );
  if (standIns) {
    const published = await publishStandIns([[hostPlatform(), standIns]]);
    print(`pulumi config set baseImages '${JSON.stringify({ NODE_IMAGE: published.node, NGINX_IMAGE: published.nginx })}'`);
  }
  if (postgresStandIn) print(`pulumi config set postgresImage '${await publishImage(postgresStandIn)}'`);
  log(`running; Ctrl-C stops it (repository: ${repoRoot})`);
}
