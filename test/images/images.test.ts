/**
 * The images the rehearsal runs, for real on the local Docker engine: the stand-in base images
 * carry the official images' layout, each image builds from its real Dockerfile on them, and each
 * runs under its pod's restrictions (non-root, read-only root, no capability, only its emptyDirs
 * writable). The builds are shared: made once per recipe and sources, reused by every test and
 * every later run.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { clusterPlatform, readGatewayPolicy, settingReaders } from '../../apps/gateway/src/index.js';
import { renderClusterGateway } from '../../components/gateway-config.js';
import { contentTag, localRepositoryPrefix } from '../../components/images.js';
import { imageNames, type ImageName } from '../../components/target.js';
import { workloads } from '../../components/workloads.js';
import { baseImages, nodeVersionOf, repoRoot } from '../../scripts/images/base-images.js';
import { appImage } from '../../scripts/images/app-images.js';
import { docker, runDocker } from '../../scripts/toolkit/docker.js';
import { prepareImages } from '../../scripts/images/index.js';
import { standInBaseImages, standInPostgresImage, type StandInImages } from '../../scripts/images/stand-ins.js';
import { eventually } from '../../scripts/toolkit/eventually.js';
import { podCommand, podRestrictions } from '../support/pod-container.js';
import { PodNetwork } from '../support/pod-network.js';

/** Containers of these tests: labelled and named after the branch, and removed after them. */
const testLabel = 'books-gateway.test=images';
const namePrefix = 'images-test';

const podReference = (image: ImageName) => `${localRepositoryPrefix}/${image}:${contentTag(repoRoot, image)}`;
const podImages = imageNames.map(podReference);

let containerCount = 0;
const containers: string[] = [];
const networks: PodNetwork[] = [];

/** Starts a container with `docker run` options, its `port` published on a free loopback port; returns its URL. */
async function start(localImage: string, port: number, options: string[], command: string[] = []): Promise<string> {
  const name = `${namePrefix}-${process.pid}-${++containerCount}`;
  containers.push(name);
  await docker(['run', '-d', '--name', name, '--label', testLabel, '-p', `127.0.0.1::${port}`, ...options, localImage, ...command]);
  const published = (await docker(['port', name, `${port}/tcp`])).trim().split('\n')[0];
  return `http://${published}`;
}

/** Runs `command` in a throw-away container of `localImage` and returns what it wrote. */
async function output(localImage: string, command: string[]): Promise<string> {
  const run = await runDocker(['run', '--rm', '--label', testLabel, localImage, ...command]);
  return `${run.stdout}${run.stderr}`.trim();
}

/** A shell script's output lines, run in a throw-away container. */
async function shellLines(localImage: string, script: string): Promise<string[]> {
  return (await output(localImage, ['sh', '-c', script])).split('\n');
}

async function get(url: string): Promise<{ status: number; body: string; type: string } | undefined> {
  try {
    // Bounded: a connection the port proxy accepts before the server listens may never answer.
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return { status: response.status, body: await response.text(), type: response.headers.get('content-type') ?? '' };
  } catch {
    return undefined;
  }
}

async function served(url: string, withinMs = 15_000): Promise<{ status: number; body: string; type: string }> {
  let last: Awaited<ReturnType<typeof get>>;
  await eventually(`${url} answers`, async () => (last = await get(url)) !== undefined, withinMs);
  return last!;
}

interface ImageConfig {
  User: string;
  Cmd: string[] | null;
  Entrypoint: string[] | null;
  StopSignal?: string;
}

async function imageConfig(reference: string): Promise<ImageConfig> {
  return JSON.parse(await docker(['image', 'inspect', '--format', '{{json .Config}}', reference])) as ImageConfig;
}

describe('rehearsal images (real Docker, stand-in base images)', function () {
  // Cold: the stand-ins (about 100 s) and the three builds (about 35 s); warm: a second or two.
  this.timeout(600_000);
  let standIns: StandInImages;
  let local: Map<string, string>;

  before(async () => {
    local = await prepareImages(podImages, { standInBaseImages: true });
    standIns = await standInBaseImages();
  });

  after(async () => {
    if (containers.length > 0) await runDocker(['rm', '-f', ...containers]);
    for (const pods of networks) await pods.remove();
  });

  it('builds every image the pods name and reuses them: a second call builds nothing', async () => {
    assert.deepEqual([...local.keys()].sort(), [...podImages].sort());
    const lines: string[] = [];
    const again = await prepareImages(podImages, { standInBaseImages: true, log: (line) => lines.push(line) });
    assert.deepEqual([...again], [...local]);
    assert.deepEqual(
      lines.filter((line) => /building/.test(line)),
      [],
    );
  });

  it('refuses a reference it builds no image for, and a content tag the sources no longer give, before building', async () => {
    await assert.rejects(
      prepareImages(['nginx:latest'], { standInBaseImages: true }),
      /^Error: No image is known for nginx:latest: the rehearsal builds books-gateway\/gateway:<tag>/,
    );
    await assert.rejects(
      prepareImages([`${localRepositoryPrefix}/books:0123456789abcdef`], { standInBaseImages: true }),
      new RegExp(`names content tag 0123456789abcdef, but apps/books now gives ${contentTag(repoRoot, 'books')}`),
    );
  });

  it("a failed build throws one clear line, then the build's own error output", async () => {
    const missing = 'books-gateway-images-test/missing:none';
    const error = await appImage('gateway', { NGINX_IMAGE: missing }, () => {}).then(
      () => assert.fail('the build of a missing base image succeeded'),
      (thrown: unknown) => thrown as Error,
    );
    const [first, ...rest] = error.message.split('\n');
    assert.equal(first, 'Building the gateway image from apps/gateway/Dockerfile failed');
    assert.match(rest.join('\n'), /ERROR.*books-gateway-images-test\/missing/);
  });

  it('the nginx stand-in is laid out like nginx-unprivileged: uid 101, its paths, CMD, STOPSIGNAL', async () => {
    const config = await imageConfig(standIns.nginx);
    assert.equal(config.User, String(baseImages()['nginx-unprivileged'].user));
    assert.deepEqual(config.Cmd, ['nginx', '-g', 'daemon off;']);
    assert.equal(config.StopSignal, 'SIGQUIT');
    const [uid, modules, njs, html, version] = await shellLines(
      standIns.nginx,
      'id -u nginx; readlink /etc/nginx/modules; ls /etc/nginx/modules/ngx_http_js_module.so; test -d /usr/share/nginx/html && echo html; nginx -v',
    );
    assert.deepEqual([uid, modules, njs, html], ['101', '/usr/lib/nginx/modules', '/etc/nginx/modules/ngx_http_js_module.so', 'html']);
    const [major, minor, patch] = (/nginx\/(\d+)\.(\d+)\.(\d+)/.exec(version)?.slice(1) ?? []).map(Number);
    assert.ok(major > 1 || minor > 27 || (minor === 27 && patch >= 3), `nginx 1.27.3 or newer re-resolves upstreams, got ${version}`);
  });

  it('the nginx stand-in serves its default page on 8080 as 101 with a read-only root and only /tmp writable', async () => {
    const url = await start(standIns.nginx, 8080, ['--read-only', '--tmpfs', '/tmp:uid=101,gid=101', '--cap-drop', 'ALL']);
    assert.equal((await served(`${url}/`)).status, 200);
  });

  it('the node stand-in carries the production Node.js and npm for the user node (uid 1000), root by default', async () => {
    const config = await imageConfig(standIns.node);
    assert.equal(config.User, '', 'the official node image runs as root unless told otherwise');
    const [uid, node, npm] = await shellLines(standIns.node, 'id -u node; node --version; npm --version');
    assert.equal(uid, String(baseImages().node.user));
    assert.equal(node, `v${nodeVersionOf(baseImages().node.reference)}`);
    assert.match(npm, /^\d+\.\d+\.\d+$/);
  });

  it('the books image serves /books from PostgreSQL as uid 1000 with a read-only root, no capability, no privilege gain', async () => {
    // Its database as in the cluster: PostgreSQL's stand-in under the Service name, its URL a mounted file.
    const pods = new PodNetwork({
      name: `${namePrefix}-${process.pid}-books`,
      label: testLabel,
      namespace: 'books-gateway',
      images: { books: local.get(podReference('books'))! },
      postgresImage: await standInPostgresImage(),
    });
    networks.push(pods);
    await pods.create();
    const books = await pods.run('books', ['-p', `127.0.0.1::${workloads.books.port}`]);
    const url = await pods.publishedUrl(books, workloads.books.port);
    const response = await served(`${url}/books`, 60_000);
    assert.equal(response.status, 200);
    assert.ok((JSON.parse(response.body) as Array<{ title: string }>).some((book) => book.title === 'Learning Node.js Development'));
  });

  it('the page image serves the page and its assets as 101 with a read-only root and only its emptyDirs writable', async () => {
    const page = workloads['books-react'];
    const url = await start(local.get(podReference('books-react'))!, page.port, podRestrictions('books-react'));
    const index = await served(`${url}/`);
    assert.equal(index.status, 200);
    assert.match(index.type, /text\/html/);
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(index.body)?.[1];
    assert.ok(script, `index.html names its bundle:\n${index.body}`);
    const bundle = await served(`${url}${script}`);
    assert.equal(bundle.status, 200);
    assert.match(bundle.type, /javascript/);
  });

  it("the gateway image accepts the cluster's rendered configuration (nginx -t) as 101 with a read-only root, with CORS origins too, without a warning", async () => {
    for (const settings of [{}, { corsOrigins: 'https://app.example.com,https://admin.example.com' }]) {
      const result = await testClusterGateway(
        local.get(podReference('gateway'))!,
        renderClusterGateway('books-gateway', readGatewayPolicy(settingReaders.recordSource(settings)).render),
      );
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /test is successful/);
      assert.doesNotMatch(result.stderr, /\[warn\]/, JSON.stringify(settings));
    }
  });
});

/** `nginx -t` of a rendered cluster configuration in the gateway image `image`, run as its pod runs it. */
async function testClusterGateway(image: string, files: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'images-gateway-config-'));
  try {
    for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(folder, name), content);
    fs.chmodSync(folder, 0o755);
    return await runDocker([
      'run',
      '--rm',
      '--label',
      testLabel,
      ...podRestrictions('gateway'),
      // The cluster resolver's name, which nginx resolves once at start.
      '--add-host',
      `${clusterPlatform.resolver}:127.0.0.11`,
      '-v',
      `${folder}:${clusterPlatform.configDir}:ro`,
      image,
      ...podCommand('gateway'),
      '-t',
    ]);
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}
