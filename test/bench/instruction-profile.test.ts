import { strict as assert } from 'node:assert';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultGateway, tuningVariants } from '../../bench/configurations.js';
import { profileInstructions } from '../../bench/instruction-profile.js';
import { startMemoryBackends } from '../../bench/memory-backend.js';
import type { RunningServer } from '../../bench/nginx-server.js';
import { debianNginx, locateNginx } from '../../scripts/toolkit/nginx.js';

// `npm run bench -- --sections profile` says what each of the gateway's features costs in
// instructions per request, steadier than any timing: it must tell a feature's cost apart.
describe('the instruction profile npm run bench prints', () => {
  let folder: string;
  let backends: RunningServer[] = [];

  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'bench-profile-'));
    // Readable by nginx's workers, which run as `nobody` when the master runs as root.
    await chmod(folder, 0o755);
    backends = await startMemoryBackends(locateNginx(), folder, JSON.stringify([{ isbn: '9781788395540', title: 'Books' }]), 1);
  });
  after(async () => {
    await Promise.all(backends.map((backend) => backend.stop()));
    await rm(folder, { recursive: true, force: true });
  });

  it("counts the gateway's instructions per request with a feature off and HAProxy's: the njs header check is thousands", async function () {
    this.timeout(180_000);
    const headerCheckOff = tuningVariants.find(({ name }) => name === '-header check');
    assert.ok(headerCheckOff, 'the tuning variants turn the header check off');
    const ports = backends.map(({ url }) => Number(new URL(url).port));
    const counts = await profileInstructions(
      await debianNginx(),
      [{ variant: defaultGateway }, { variant: headerCheckOff }],
      ports,
      { low: 20, high: 120 },
      () => undefined,
    );
    assert.deepEqual(
      counts.map(({ target }) => target),
      ['default', '-header check', 'haproxy'],
    );
    const [gateway = 0, withoutCheck = 0, haproxy = 0] = counts.map(({ perRequest }) => perRequest);
    // A request through nginx is tens of thousands of instructions (87.6k on nginx 1.22 as rendered).
    assert.ok(gateway > 20_000 && gateway < 1_000_000, `the gateway: ${gateway}`);
    // njs's per-request VM and its read of the header values: 24k on nginx 1.22.
    assert.ok(gateway - withoutCheck > 5_000, `the header check: ${gateway - withoutCheck}`);
    assert.ok(haproxy > 10_000 && haproxy < 1_000_000, `HAProxy: ${haproxy}`);
  });
});
