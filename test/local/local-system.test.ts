import { strict as assert } from 'node:assert';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from '../gateway/support/http.js';
import { ensureServicesBuilt } from '../gateway/support/system.js';
import { testIssuer } from '../gateway/support/tokens.js';
import { UserError } from '../../scripts/toolkit/user-error.js';
import { type LocalSystem, startLocalSystem } from '../../scripts/local/local-system.js';
import { repoRoot } from './local-command.js';
import { assertCreatedBy, newBookBody } from '../support/book-writes.js';

const startedAsRoot = process.getuid?.() === 0;

/**
 * The uid the gateway's nginx workers run as here: when the tests run as root (as CI does), that
 * of an account of their own, not `nobody`, which other daemons share; else ours.
 */
function expectedWorkerUid(): number {
  return startedAsRoot ? Number(execFileSync('id', ['-u', 'books-gateway-nginx'], { encoding: 'utf8' })) : (process.getuid?.() ?? -1);
}

/** The uids of the processes whose parent is `pid`: nginx's workers, for its master. */
function childUids(pid: number | undefined): number[] {
  const { stdout } = spawnSync('ps', ['-o', 'uid=', '--ppid', String(pid)], { encoding: 'utf8' });
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(Number);
}

describe('the local system', () => {
  it('refuses to start without nginx, saying how to install it', async () => {
    await assert.rejects(
      startLocalSystem({ gatewayPort: 0, nginxBinary: 'nginx-not-installed' }),
      (error: unknown) =>
        error instanceof UserError &&
        /^nginx is not installed .*apt-get install -y nginx libnginx-mod-http-js/.test(error.message) &&
        !error.message.includes('\n'),
    );
  });

  describe('running', function () {
    this.timeout(120000);
    let system: LocalSystem | undefined;
    const staleFolder = join(tmpdir(), `books-gateway-local-stale-${process.pid}`);
    const liveFolder = join(tmpdir(), `books-gateway-local-live-${process.pid}`);

    before(async function () {
      this.timeout(150000);
      ensureServicesBuilt();
      // A folder left by a run that was killed (its owner has ended), and one of a run still going (this process).
      const ended = spawn(process.execPath, ['-e', '']);
      await once(ended, 'close');
      for (const [folder, pid] of [
        [staleFolder, ended.pid],
        [liveFolder, process.pid],
      ] as const) {
        await mkdir(folder, { recursive: true });
        await writeFile(join(folder, 'owner.json'), JSON.stringify({ pid, startTime: null }));
      }
      const issuer = testIssuer();
      system = await startLocalSystem({
        gatewayPort: 0,
        gatewayPlatform: { workerProcesses: 1 },
        gateway: { auth: { jwt: { issuer: 'i', audience: 'a', algorithms: ['HS256'] }, apiKeys: true } },
        gatewaySecrets: { hmacSecret: issuer.hmacSecret, apiKeys: { dev: 'local-dev-key-0123456789abcdef' } },
      });
    });
    after(async () => {
      await system?.stop();
      await rm(liveFolder, { recursive: true, force: true });
      await rm(staleFolder, { recursive: true, force: true });
    });

    it('removes the folders of dead runs, and only theirs', () => {
      assert.ok(!existsSync(staleFolder), 'the dead run folder is gone');
      assert.ok(existsSync(liveFolder), 'the folder of a run that still goes is kept');
    });

    it('keeps the secrets readable by nginx’s workers alone, and the access log by its owner alone', async () => {
      const gateway = system?.gateway;
      assert.ok(gateway);
      const secrets = join(gateway.configDir, 'secrets');
      const folder = statSync(secrets);
      assert.equal(folder.mode & 0o077, 0, `the secrets folder is ${(folder.mode & 0o777).toString(8)}`);
      assert.equal(folder.uid, expectedWorkerUid());
      for (const name of await readdir(secrets)) {
        const file = statSync(join(secrets, name));
        assert.equal(file.mode & 0o777, 0o400, `${name} is ${(file.mode & 0o777).toString(8)}`);
        assert.equal(file.uid, expectedWorkerUid(), `${name} belongs to the workers' user`);
      }
      assert.deepEqual(childUids(system?.addresses()[0]?.pid), [expectedWorkerUid()], 'the one worker runs as that account');
      if (startedAsRoot) {
        const asNobody = spawnSync('runuser', ['-u', 'nobody', '--', 'cat', join(secrets, 'api-keys.json')], { encoding: 'utf8' });
        assert.notEqual(asNobody.status, 0, `a process of nobody reads no secret: ${asNobody.stdout}`);
      }
      assert.equal(statSync(gateway.accessLog).mode & 0o777, 0o600);
      assert.equal(statSync(join(gateway.configDir, '..')).mode & 0o066, 0, 'nobody else can list the run folder');
      // The workers still read them: a key the gateway can only know from the secrets folder works.
      const write = await request(`${gateway.url}/books`, {
        method: 'POST',
        body: newBookBody(),
        headers: { 'content-type': 'application/json', 'x-api-key': 'local-dev-key-0123456789abcdef' },
      });
      assertCreatedBy(write, 'dev', 'the key was recognised and the write reached the API');
    });

    it('goes on serving the page it started with while the page is rebuilt', async () => {
      const gateway = system?.gateway;
      assert.ok(gateway);
      const page = await request(`${gateway.url}/`);
      const bundle = /src="(\/assets\/[^"]+\.js)"/.exec(page.body)?.[1];
      assert.ok(bundle, page.body);
      const build = spawn('npm', ['run', 'build', '--prefix', 'apps/books-react'], { cwd: repoRoot, stdio: 'ignore' });
      const built = once(build, 'close');
      let finished = false;
      void built.then(() => (finished = true));
      const failures: string[] = [];
      let requests = 0;
      while (!finished) {
        for (const path of ['/', bundle]) {
          const reply = await request(`${gateway.url}${path}`);
          requests++;
          if (reply.status !== 200) failures.push(`${path}: ${reply.status} ${reply.body.slice(0, 80)}`);
        }
        // Within the gateway's rate limit (20/s with a burst of 40) for the build's few seconds.
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      assert.deepEqual((await built)[0], 0, 'the rebuild succeeded');
      assert.ok(requests > 10, `${requests} requests during the rebuild`);
      assert.deepEqual(failures, []);
    });
  });
});
