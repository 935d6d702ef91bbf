/**
 * npm run rehearse [-- --stack NAME] [--config key=value ...] [--stand-in-base-images] [--apply]
 *
 * Without --apply: the stack deployed by the real `pulumi up` to this machine's single-node
 * cluster (started unless `npm run cluster` runs), its pods listed, the gateway URL printed last
 * once it serves; Ctrl-C (even twice), SIGTERM or SIGHUP remove everything it made. With --apply:
 * another `pulumi up` of the running rehearsal, with its options and the stack's config anew.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { stackConfigFrom, stackFlags, stackUsage } from '../capture/stack-options.js';
import { parseCommandLine } from '../toolkit/command-line.js';
import { eventually } from '../toolkit/eventually.js';
import { gatewayPortFromEnv } from '../toolkit/gateway-port.js';
import { runLayout } from '../cluster/layout.js';
import { runSetup } from '../toolkit/setup.js';
import { onStopRequest } from '../toolkit/stop-request.js';
import { failureMessage, UserError } from '../toolkit/user-error.js';
import { standInBaseImages, standInPostgresImage } from '../images/stand-ins.js';
import { applyToRunning, assertDeployableHere, liveRehearsal, Rehearsal, type RehearsalStandIns } from './rehearsal.js';

const execFileAsync = promisify(execFile);

export const root = path.resolve(__dirname, '..', '..');

export const usage = [
  'Usage: npm run rehearse [-- options]        (as root)',
  '',
  'Deploys a stack with the real `pulumi up` (the CLI and plugins npm run cluster builds) to this',
  "machine's single-node Kubernetes, starting it unless npm run cluster runs, lists the pods and",
  'prints the gateway URL last. Ctrl-C, SIGTERM or SIGHUP remove everything it made.',
  '',
  'Options:',
  ...stackUsage,
  '  --stand-in-base-images   build on stand-ins of the base images, made here (no registry needed)',
  '  --apply                  make the running rehearsal of the stack converge to its config anew,',
  '                           with the options it was started with',
  '  -h, --help               this text',
  '',
  'Environment: GATEWAY_PORT, the port the gateway is published on 127.0.0.1 (default 8080).',
].join('\n');

/** The pods of the system's namespace, as `kubectl get pods -o wide` lists them. */
async function podTable(kubectl: string, namespace: string): Promise<string> {
  const { stdout } = await execFileAsync(kubectl, ['--kubeconfig', runLayout().kubeconfig, '-n', namespace, 'get', 'pods', '-o', 'wide']);
  return stdout.trimEnd();
}

/** Waits until the gateway answers its page, so that the URL printed is one that serves. */
async function waitUntilServes(url: string): Promise<void> {
  await eventually(
    `the gateway at ${url} serves the page`,
    async () => (await fetch(url).catch(() => undefined))?.status === 200,
    60_000,
    250,
  );
}

/** The stand-ins made here: the base images' and PostgreSQL's. */
async function standInsOf(log: (line: string) => void): Promise<RehearsalStandIns> {
  return { ...(await standInBaseImages(log)), postgres: await standInPostgresImage(log) };
}

export async function rehearseMain(argv: string[]): Promise<void> {
  const flags = parseCommandLine(argv, { ...stackFlags, 'stand-in-base-images': { type: 'boolean' }, apply: { type: 'boolean' } }, usage);
  const log = (line: string) => console.log(line);
  await runSetup(['--rehearse'], false).done;
  const overrides = [...((flags['config'] as string[] | undefined) ?? []), `gatewayServicePort=${gatewayPortFromEnv(process.env)}`];
  const config = stackConfigFrom(root, flags, [`gatewayServicePort=${gatewayPortFromEnv(process.env)}`]);
  assertDeployableHere(config);

  if (flags['apply'] === true) {
    const record = liveRehearsal(config.stack);
    if (!record) throw new UserError(`No rehearsal of the stack ${config.stack} is running: start one with npm run rehearse`);
    const standIns = record.standInBaseImages ? await standInsOf(log) : undefined;
    const outputs = await applyToRunning({ config, overrides, standIns, sourceRoot: root, log }, record);
    log(`gateway: ${String(outputs['gatewayUrl'])}`);
    return;
  }

  // A closed terminal (SIGHUP) must not crash the cleanup with a write error.
  process.stdout.on('error', () => undefined);
  let rehearsal: Rehearsal | undefined;
  let stopping = false;
  // From here on, a stop request (Ctrl-C, repeated or not) ends the process once what the
  // rehearsal made so far is removed, never before: nothing else here exits while it stops.
  onStopRequest((why) => {
    stopping = true;
    log(`stopping: ${why}; removing what the rehearsal made`);
    (rehearsal?.stop() ?? Promise.resolve()).then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`npm run rehearse: ${failureMessage(error)}`);
        process.exit(1);
      },
    );
  });
  const standIns = flags['stand-in-base-images'] === true ? await standInsOf(log) : undefined;
  rehearsal = new Rehearsal({ config, overrides, standIns, sourceRoot: root, log });
  const started = Date.now();
  try {
    const outputs = await rehearsal.start();
    const url = String(outputs['gatewayUrl']);
    await waitUntilServes(url);
    log(await podTable(rehearsal.kubectl, String(outputs['namespace'])));
    log(`Ready in ${((Date.now() - started) / 1000).toFixed(1)} s. The gateway: ${url}`);
  } catch (error) {
    // A start cut short by a stop request (the CLI got the terminal's Ctrl-C too) is not a failure
    // to report: the stop request's handler exits once the removal is over.
    await rehearsal.stop();
    if (!stopping) throw error;
  }
}
