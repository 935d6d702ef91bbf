import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { LocalRunError } from '../../scripts/local/local-run-error.js';
import { ensureServiceUser } from '../../scripts/local/service-user.js';

describe('a system account of its own for a local component', function () {
  this.timeout(30000);
  const name = `bg-test-${process.pid}`;
  after(() => {
    spawnSync('userdel', [name]);
  });

  if (process.getuid?.() === 0) {
    it('is created once, without login, even when two runs ask for it at once, and found again later', async () => {
      const [first, second] = await Promise.all([
        ensureServiceUser(name, 'books-gateway tests'),
        ensureServiceUser(name, 'books-gateway tests'),
      ]);
      assert.deepEqual(first, second);
      assert.ok(first.uid > 0 && first.uid < 1000, `a system uid, got ${first.uid}`);
      const entry = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).trim().split(':');
      assert.deepEqual([entry[2], entry[3], entry[6]], [String(first.uid), String(first.gid), '/usr/sbin/nologin']);
      assert.equal(execFileSync('getent', ['group', name], { encoding: 'utf8' }).split(':')[2], String(first.gid), 'a group of its own');
      assert.deepEqual(await ensureServiceUser(name, 'books-gateway tests'), first);
    });
  } else {
    it('cannot be created without root, and says so', async () => {
      await assert.rejects(
        ensureServiceUser(name, 'books-gateway tests'),
        (error: unknown) => error instanceof LocalRunError && error.message.includes(name),
      );
    });
  }

  it('refuses a name or purpose that would not fit /etc/passwd', async () => {
    await assert.rejects(ensureServiceUser('Root:x', 'books-gateway tests'), /not a valid account name/);
    await assert.rejects(ensureServiceUser(name, 'a: b'), /no ':' or line break/);
  });
});
