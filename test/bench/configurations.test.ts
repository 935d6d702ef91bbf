import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authGateway, defaultGateway, prepareGatewayVariant, tuningVariants, tutorialNginxConf } from '../../bench/configurations.js';
import { runDirOf, writeCheckedConfig } from '../../bench/nginx-server.js';
import { metricsPath } from '../../apps/gateway/src/index.js';
import { standInNginxOnHost } from '../../scripts/images/stand-in-nginx-on-host.js';
import { hostNginx } from '../../scripts/toolkit/nginx-launchers.js';
import { type NginxBuild, debianNginx, locateNginx } from '../../scripts/toolkit/nginx.js';
import { freePorts } from '../../scripts/toolkit/ports.js';

// The bench edits the rendered configuration to measure variants; when the renderer's defaults
// move, an edit that no longer applies must fail here, in `npm test`, not halfway through a bench.
describe('the configurations npm run bench measures', () => {
  const backends = { books: [15001, 15002], booksReact: 13000 };
  const ports = { listen: 18080, status: 18081 };
  let folder: string;
  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'bench-configurations-'));
  });
  after(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  // tuningVariants starts with the default rendering.
  for (const variant of [authGateway.variant, ...tuningVariants]) {
    it(`gateway variant "${variant.name}" applies to the current rendering and nginx accepts it`, async () => {
      const dir = join(folder, variant.name.replace(/\W+/g, '-'));
      await prepareGatewayVariant(variant, dir, ports, backends, hostNginx());
    });
  }

  it("the tutorial's configuration is nothing but its two proxy_pass locations, over every books process", async () => {
    const dir = join(folder, 'tutorial');
    const conf = tutorialNginxConf(ports.listen, backends, runDirOf(dir));
    assert.deepEqual(conf.match(/location [^{]+\{[^}]*\}/g), [
      'location /books { proxy_pass http://books-service; }',
      `location / { proxy_pass http://127.0.0.1:${backends.booksReact}; }`,
    ]);
    // books-service stands for the tutorial's ClusterIP Service: every books process, no keepalive.
    assert.match(conf, /upstream books-service \{\n\s*server 127\.0\.0\.1:15001;\n\s*server 127\.0\.0\.1:15002;\n\s*\}/);
    await writeCheckedConfig({ nginxBinary: locateNginx(), folder: dir, runDir: runDirOf(dir), files: { 'nginx.conf': conf } });
  });
});

// `npm run bench -- --nginx stand-in` runs the proxies' cases on the stand-in of the gateway
// image's nginx, as a process of this machine (its CPU read like every other proxy's).
describe("the stand-in's nginx npm run bench can measure instead of Debian's", () => {
  const backends = { books: [15001, 15002], booksReact: 13000 };
  let folder: string;
  let standIn: NginxBuild;
  before(async function () {
    // Unpacking the image's files takes seconds; building the stand-in, on a cold machine, minutes.
    this.timeout(30 * 60 * 1000);
    standIn = await standInNginxOnHost();
    folder = await mkdtemp(join(tmpdir(), 'bench-stand-in-'));
  });
  after(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it("names what it measures: the image's nginx (1.27.3 or newer: `server ... resolve`) and its njs, beside Debian's", async () => {
    const version = /^nginx\/(\d+)\.(\d+)\.(\d+) with njs \d+\.\d+\.\S+ \(the stand-in of the gateway image's\)$/.exec(standIn.description);
    assert.ok(version, standIn.description);
    const [major, minor, patch] = version.slice(1).map(Number) as [number, number, number];
    assert.ok(major > 1 || minor > 27 || (minor === 27 && patch >= 3), standIn.description);
    assert.match((await debianNginx()).description, /^nginx\/\d+\.\d+\.\d+ with njs \d+\.\d+\.\S+ \(Debian's\)$/);
  });

  it('accepts every gateway variant, and a started gateway serves the per-route metrics as the cluster does', async function () {
    this.timeout(60000);
    for (const variant of [authGateway.variant, ...tuningVariants]) {
      await prepareGatewayVariant(
        variant,
        join(folder, variant.name.replace(/\W+/g, '-')),
        { listen: 18080, status: 18081 },
        backends,
        hostNginx(standIn),
      );
    }
    const [listen, status] = (await freePorts(2)) as [number, number];
    const gateway = await prepareGatewayVariant(defaultGateway, join(folder, 'started'), { listen, status }, backends, hostNginx(standIn));
    await gateway.start();
    try {
      const metrics = await (await fetch(`http://127.0.0.1:${status}${metricsPath}`)).text();
      assert.match(metrics, /^# TYPE gateway_responses_total counter$/m, 'the per-route set');
    } finally {
      await gateway.stop();
    }
  });
});
