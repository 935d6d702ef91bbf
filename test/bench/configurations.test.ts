import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authGateway, prepareGatewayVariant, tuningVariants, tutorialNginxConf } from '../../bench/configurations.js';
import { runDirOf, writeCheckedConfig } from '../../bench/nginx-server.js';
import { hostNginx } from '../../scripts/toolkit/nginx-launchers.js';
import { locateNginx } from '../../scripts/toolkit/nginx.js';

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
