/**
 * npm run rehearse [-- --stack NAME] [--config key=value ...] [--stand-in-base-images] [--apply]
 *
 * Without --apply: captures the stack's objects, builds their images, runs them (rehearsal.ts),
 * prints one line per container and the gateway URL, and removes everything on Ctrl-C, SIGTERM
 * or SIGHUP. With --apply: captures anew and makes the running rehearsal converge to it.
 */
import * as path from 'node:path';
import { parseCommandLine, stackConfigFrom } from '../capture/command-line.js';
import { captureStack, type CapturedStack, type KubernetesObject } from '../capture/kubernetes-objects.js';
import { requestApply, serveApply, socketPath } from './control-socket.js';
import { assertEngineAnswers } from './docker.js';
import { removeLeftovers } from './leftovers.js';
import { Rehearsal, type ContainerLine } from './rehearsal.js';

export type PrepareImages = (podImages: readonly string[], options: { standInBaseImages: boolean; log?: (line: string) => void }) => Promise<Map<string, string>>;

export const root = path.resolve(__dirname, '..', '..');

/** Every image the objects' pod templates name, sidecars included. */
export function podImages(objects: readonly KubernetesObject[]): string[] {
  const images = new Set<string>();
  for (const object of objects.filter((candidate) => candidate.kind === 'Deployment')) {
    const spec = (object.spec as { template?: { spec?: { containers?: { image?: string }[] } } } | undefined)?.template?.spec;
    for (const container of spec?.containers ?? []) if (container.image) images.add(container.image);
  }
  return [...images];
}

export function containerTable(lines: readonly ContainerLine[]): string[] {
  const rows = [...lines]
    .sort((a, b) => a.pod.localeCompare(b.pod) || a.container.localeCompare(b.container))
    .map((line) => [line.pod, line.container, line.address, line.ready ? 'ready' : 'not ready']);
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column < 3 ? cell.padEnd(widths[column]!) : cell)).join('  '));
}

function gatewayPort(): number {
  const text = process.env.GATEWAY_PORT ?? '8080';
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`GATEWAY_PORT must be a port number (1-65535), got "${text}"`);
  return port;
}

async function apply({ objects, rolloutOrder }: CapturedStack, socket: string, images: Map<string, string>): Promise<void> {
  await requestApply(socket, { objects, rolloutOrder, images: [...images] }, (line) => console.log(line));
}

export async function rehearseMain(args: readonly string[], prepareImages: PrepareImages): Promise<void> {
  const options = parseCommandLine(args, {
    'stand-in-base-images': { type: 'boolean', default: false },
    apply: { type: 'boolean', default: false },
  });
  const config = stackConfigFrom(root, options);
  const port = gatewayPort();
  const socket = socketPath(config.stack, port);
  const imageOptions = { standInBaseImages: options['stand-in-base-images'] === true, log: (line: string) => console.log(line) };
  const started = Date.now();
  await assertEngineAnswers();
  const captured = await captureStack(config);
  const { objects, rolloutOrder } = captured;
  if (options.apply) {
    await apply(captured, socket, await prepareImages(podImages(objects), imageOptions));
    return;
  }
  const removed = await removeLeftovers();
  if (removed) console.log(`Removed ${removed} containers left by rehearsals that are no longer running`);

  const rehearsal: Rehearsal = new Rehearsal({
    objects,
    rolloutOrder,
    gatewayPort: port,
    controlSocket: socket,
    log: (line) => console.log(line),
    onEngineLost: () => {
      console.error("The Docker engine stopped answering (docker events ended): removing what is left of the rehearsal");
      void stop().then(() => process.exit(1));
    },
  });
  // A closed terminal (SIGHUP) must not crash the cleanup with a write error.
  process.stdout.on('error', () => undefined);
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= rehearsal.stop());
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      console.log(`${signal}: removing the rehearsal's containers and network`);
      void stop().then(() => process.exit(0));
    });
  }
  try {
    await rehearsal.listen();
    rehearsal.localImages = await prepareImages(podImages(objects), imageOptions);
    await rehearsal.start();
    await serveApply(socket, async (request, log) => {
      await rehearsal.apply(request.objects, request.rolloutOrder, new Map(request.images));
      for (const line of containerTable(rehearsal.containers())) log(line);
    });
  } catch (error) {
    await stop();
    throw error;
  }
  for (const line of containerTable(rehearsal.containers())) console.log(line);
  console.log(`Ready in ${((Date.now() - started) / 1000).toFixed(1)} s. The gateway: http://127.0.0.1:${port}`);
}
