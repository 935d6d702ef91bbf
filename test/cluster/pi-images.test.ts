/**
 * The Raspberry Pi images: built for linux/arm64 and linux/arm/v7 from the real Dockerfiles, by
 * the k3s target's own image builds (imagePlatform, imageRegistry) on the real engine, the
 * docker-build plugin and the cluster's BuildKit, on stand-in base images of each platform, and
 * pushed to the cluster's registry; then run under QEMU's user emulation (scripts/emulation.sh)
 * with `docker run`, each container as its pod would run it (command, user, read-only root),
 * on a network where the gateway's cluster configuration finds the backends by their Services'
 * names. Only the final stages run emulated: the build stages run on this machine's platform.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { clusterPlatform, defaultGatewayPolicy } from '../../apps/gateway/src/index.js';
import { renderClusterGateway } from '../../components/gateway-config.js';
import { imageNames, type ImageName, type ImagePlatform } from '../../components/target.js';
import { workloads } from '../../components/workloads.js';
import { publishStandIns } from '../../scripts/cluster/stand-in-registry.js';
import { docker } from '../../scripts/toolkit/docker.js';
import { eventually } from '../../scripts/toolkit/eventually.js';
import { hostPlatform, standInBaseImages, standInPostgresImage, type StandInPlatform } from '../../scripts/images/stand-ins.js';
import { request } from '../gateway/support/http.js';
import { podCommand, podRestrictions } from '../support/pod-container.js';
import { PodNetwork, writeFolder } from '../support/pod-network.js';
import { assertJsonError } from './support/assertions.js';
import { sharedCluster, type RunningCluster } from './support/cluster-process.js';
import { TestStack } from './support/test-stack.js';

type PiPlatform = Extract<ImagePlatform, 'linux/arm64' | 'linux/arm/v7'>;

/** What `uname -m` answers on each platform. */
const machines: Record<PiPlatform, string> = { 'linux/arm64': 'aarch64', 'linux/arm/v7': 'armv7l' };
const piPlatforms = Object.keys(machines) as PiPlatform[];
const namespace = 'books-gateway';
const label = 'books-gateway.test=pi-images';

/** The catalogue's first book, as the API serves it on every platform. */
const tutorialTitle = 'Learning Node.js Development';

/** Pushed image references by image name: the `images` output of a build stack. */
type Images = Record<ImageName, string>;

const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(0);

/** The platform's variant of each image, pulled from the registry. */
async function pull(images: Images, platform: PiPlatform): Promise<void> {
  for (const image of imageNames) await docker(['pull', '--quiet', '--platform', platform, images[image]]);
}

/**
 * A platform's system on a network of its own, each container as its pod runs it, with the
 * database the books containers use: PostgreSQL's stand-in of this machine's platform (an image
 * this project does not build; the official one publishes both Pi platforms).
 */
class EmulatedSystem extends PodNetwork {
  readonly configDir = path.join(this.folder, 'gateway');
  gatewayUrl = '';

  constructor(platform: PiPlatform, images: Images, postgresImage: string) {
    super({ name: `pi-images-${machines[platform]}-${process.pid}`, label, namespace, images, postgresImage, platform });
    writeFolder(this.configDir, renderClusterGateway(namespace, defaultGatewayPolicy().render));
  }

  /** The gateway's options: its configuration mounted where the pod mounts it, and the cluster resolver's name on Docker's. */
  gatewayOptions(): string[] {
    return ['--add-host', `${clusterPlatform.resolver}:127.0.0.11`, '-v', `${this.configDir}:${clusterPlatform.configDir}:ro`];
  }

  async start(): Promise<void> {
    await this.create();
    await this.run('books');
    await this.run('books-react');
    const gateway = await this.run('gateway', ['-p', `127.0.0.1::${workloads.gateway.port}`, ...this.gatewayOptions()]);
    this.gatewayUrl = await this.publishedUrl(gateway, workloads.gateway.port);
  }
}

/** The media types a registry answers an image index (a multi-platform image) with. */
const indexTypes = ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'];

/** Each platform (`os/architecture[/variant]`) of an index pushed to the cluster's registry, attestations left out, with its image's reference by digest. */
async function indexVariants(cluster: RunningCluster, reference: string): Promise<Map<string, string>> {
  const [, repository, digest] = /^[^/]+\/(.+?)(?::[^:@/]+)?@(sha256:[0-9a-f]{64})$/.exec(reference) ?? [];
  assert.ok(repository && digest, `a pushed image is named by digest: ${reference}`);
  const response = await fetch(`http://${cluster.registry}/v2/${repository}/manifests/${digest}`, {
    headers: { accept: indexTypes.join(', ') },
  });
  assert.equal(response.status, 200, `the registry holds ${reference}`);
  assert.ok(
    indexTypes.includes(response.headers.get('content-type') ?? ''),
    `${reference} is an index: ${response.headers.get('content-type')}`,
  );
  const index = (await response.json()) as {
    manifests: Array<{ digest: string; platform?: { os: string; architecture: string; variant?: string } }>;
  };
  const variants = new Map<string, string>();
  for (const { platform, digest: variant } of index.manifests) {
    if (platform === undefined || platform.os === 'unknown') continue;
    variants.set(
      [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/'),
      `${cluster.registry}/${repository}@${variant}`,
    );
  }
  return variants;
}

describe('the Raspberry Pi images, built for linux/arm64 and linux/arm/v7 and run under emulation', function () {
  this.timeout(300_000);
  let cluster: RunningCluster;
  let baseImages: string;
  let postgresImage: string;
  const stacks: TestStack[] = [];

  /** A stack that builds the images as the k3s target does, for `imagePlatform`; answers what it pushed. */
  async function build(imagePlatform: string): Promise<Images> {
    const stack = new TestStack(
      cluster,
      `pi-${imagePlatform.replace(/[^a-z0-9]+/g, '-')}`,
      {
        target: 'k3s',
        kubeconfig: fs.readFileSync(cluster.kubeconfig, 'utf8'),
        imageRegistry: `${cluster.registry}/pi`,
        imagePlatform,
        baseImages,
      },
      ['kubeconfig'],
      'images',
    );
    stacks.push(stack);
    const started = Date.now();
    const { outputs } = await stack.expect('up');
    console.log(`        ${imagePlatform}: the three images built and pushed in ${seconds(started)} s`);
    return outputs.images as Images;
  }

  before(async function () {
    // Cold: the stand-ins of two emulated platforms (mmdebstrap runs their packages' scripts under QEMU).
    this.timeout(3_600_000);
    cluster = await sharedCluster();
    const platforms: StandInPlatform[] = [hostPlatform(), ...piPlatforms];
    const standIns = await Promise.all(
      platforms.map(async (platform) => [platform, await standInBaseImages(() => undefined, platform)] as const),
    );
    const published = await publishStandIns(standIns);
    baseImages = JSON.stringify({ NODE_IMAGE: published.node, NGINX_IMAGE: published.nginx });
    postgresImage = await standInPostgresImage();
  });

  after(function () {
    this.timeout(300_000);
    if (this.currentTest?.state === 'failed')
      for (const stack of stacks) console.log(stack.logs.join('\n').split('\n').slice(-80).join('\n'));
    for (const stack of stacks) stack.remove();
  });

  for (const platform of piPlatforms) {
    describe(platform, () => {
      let images: Images;
      let system: EmulatedSystem;

      before(async function () {
        this.timeout(1_800_000);
        images = await build(platform);
        const started = Date.now();
        await pull(images, platform);
        system = new EmulatedSystem(platform, images, postgresImage);
        await system.start();
        console.log(`        ${platform}: pulled and started in ${seconds(started)} s`);
      });
      after(async () => system?.remove());

      it(`each container runs as its pod (command, user, read-only root) on ${machines[platform]}`, async () => {
        for (const image of imageNames) {
          const container = system.containerOf(image);
          await eventually(
            `${container} runs`,
            async () => (await docker(['inspect', '--format', '{{.State.Running}}', container])).trim() === 'true',
            30_000,
          );
          const [machine, uid] = (await docker(['exec', container, 'sh', '-c', 'uname -m; id -u'])).trim().split('\n');
          assert.equal(machine, machines[platform], `${image}'s uname -m`);
          assert.equal(uid, String(workloads[image].user), `${image}'s user`);
          const readOnly = await docker(['exec', container, 'sh', '-c', 'touch /probe 2>&1 || true']);
          assert.match(readOnly, /Read-only file system/, `${image}'s root filesystem is read-only`);
        }
      });

      it("the gateway's cluster configuration passes nginx -t in the gateway image", async () => {
        const check = await docker([
          'run',
          '--rm',
          '--label',
          label,
          '--platform',
          platform,
          '--network',
          system.network,
          ...system.gatewayOptions(),
          ...podRestrictions('gateway'),
          images.gateway,
          ...podCommand('gateway'),
          '-t',
        ]).catch((error: Error) => error.message);
        assert.doesNotMatch(check, /failed|emerg/, check);
      });

      it('the gateway serves the catalogue, the page, and its 401 to a write without credentials, through the same platform', async () => {
        let books: Awaited<ReturnType<typeof request>> | undefined;
        await eventually(
          'the gateway serves /books',
          async () => {
            books = await request(`${system.gatewayUrl}/books`).catch(() => undefined);
            return books?.status === 200;
          },
          120_000,
        );
        assert.ok(
          (JSON.parse(books!.body) as Array<{ title: string }>).some((book) => book.title === tutorialTitle),
          books!.body,
        );
        const page = await request(`${system.gatewayUrl}/`);
        assert.equal(page.status, 200);
        assert.match(page.headers.get('content-type') ?? '', /text\/html/);
        assert.match(page.body, /<script[^>]+src="\/assets\//);
        const write = await request(`${system.gatewayUrl}/books`, {
          method: 'POST',
          body: '{}',
          headers: { 'content-type': 'application/json' },
        });
        assertJsonError(write, 401, 'a write without credentials');
      });
    });
  }

  describe('the multi-platform image (imagePlatform linux/arm64,linux/arm/v7)', () => {
    let images: Images;
    before(async function () {
      this.timeout(1_800_000);
      images = await build(piPlatforms.join(','));
    });

    it('holds both variants, and each runs on its platform', async () => {
      for (const image of imageNames) {
        const variants = await indexVariants(cluster, images[image]);
        assert.deepEqual([...variants.keys()].sort(), [...piPlatforms].sort(), image);
        for (const platform of piPlatforms) {
          // Each variant by its own digest: Docker 20.10 refuses to pull a second platform of an
          // index it holds under the index's digest ("Cannot overwrite digest").
          const variant = variants.get(platform)!;
          await docker(['pull', '--quiet', variant]);
          const machine = await docker([
            'run',
            '--rm',
            '--label',
            label,
            '--platform',
            platform,
            '--entrypoint',
            'uname',
            ...podRestrictions(image),
            variant,
            '-m',
          ]);
          assert.equal(machine.trim(), machines[platform], `${image} for ${platform}`);
        }
      }
    });
  });
});
