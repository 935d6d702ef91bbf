/**
 * PostgreSQL's stand-in image (scripts/images/postgres-stand-in), which the real cluster
 * runs here for the in-cluster database: laid out like the official image, and run as
 * GatewayStack's pod runs it (its user, a read-only root, no capability, its emptyDirs and
 * volume), it initialises an empty volume once, serves the books role with its password, keeps its
 * data across a stop and a start, and shuts down cleanly on the pod's preStop.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { postgres } from '../../components/postgres.js';
import { eventually } from '../../scripts/toolkit/eventually.js';
import { docker, runDocker } from '../../scripts/toolkit/docker.js';
import { standInPostgresImage } from '../../scripts/images/stand-ins.js';
import { postgresPod } from '../support/pod-container.js';

describe("PostgreSQL's stand-in image", function () {
  this.timeout(60_000);
  let image: string;
  let folder: string;
  const name = `postgres-stand-in-test-${randomBytes(4).toString('hex')}`;
  const password = `pw-${randomBytes(9).toString('hex')}`;

  /** psql in the container over TCP, with the password: what the books pods do. */
  const sql = (statement: string) =>
    docker([
      'exec',
      '-e',
      `PGPASSWORD=${password}`,
      name,
      'psql',
      '--host=127.0.0.1',
      `--username=${postgres.role}`,
      `--dbname=${postgres.database}`,
      '--tuples-only',
      '--no-align',
      `--command=${statement}`,
    ]);

  /** The container as the StatefulSet's pod runs it (components/postgres.ts). */
  const runArgs = () => postgresPod({ secrets: path.join(folder, 'secret'), volume: path.join(folder, 'volume') });
  const ready = () =>
    eventually(
      'PostgreSQL accepts clients over TCP',
      async () => (await runDocker(['exec', name, 'pg_isready', '--host=127.0.0.1', '--quiet'])).code === 0,
      30_000,
      250,
    );

  before(async function () {
    this.timeout(900_000);
    image = await standInPostgresImage();
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'postgres-stand-in-'));
    // An empty volume a provisioner made (local-path's folders are world-writable), and the Secret's file.
    fs.mkdirSync(path.join(folder, 'volume'), { mode: 0o777 });
    fs.chmodSync(path.join(folder, 'volume'), 0o777);
    fs.mkdirSync(path.join(folder, 'secret'));
    fs.writeFileSync(path.join(folder, 'secret', 'password'), password, { mode: 0o444 });
  });
  after(async function () {
    await runDocker(['rm', '-f', name]);
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it('is laid out like the official image: user postgres 999, PGDATA, the entrypoint, STOPSIGNAL SIGINT, CMD postgres', async () => {
    const config = JSON.parse(await docker(['image', 'inspect', '--format', '{{json .Config}}', image])) as {
      Env: string[];
      Entrypoint: string[];
      Cmd: string[];
      StopSignal: string;
      ExposedPorts: Record<string, unknown>;
    };
    assert.deepEqual([config.Entrypoint, config.Cmd, config.StopSignal], [['docker-entrypoint.sh'], ['postgres'], 'SIGINT']);
    assert.ok('5432/tcp' in config.ExposedPorts);
    assert.ok(config.Env.includes('PGDATA=/var/lib/postgresql/data'));
    assert.match(config.Env.find((entry) => entry.startsWith('PATH=')) ?? '', /:\/usr\/lib\/postgresql\/17\/bin$/);
    const passwd = (await docker(['run', '--rm', '--entrypoint', 'getent', image, 'passwd', 'postgres'])).trim();
    assert.match(passwd, /^postgres:x:999:999:.*:\/var\/lib\/postgresql:/);
    assert.match(await docker(['run', '--rm', '--entrypoint', 'postgres', image, '--version']), /PostgreSQL\) 17\./);
  });

  it("initialises an empty volume once, as the pod's user, and serves the books role with its password over TCP", async () => {
    await docker(['run', '-d', '--name', name, ...runArgs(), image]);
    await ready();
    assert.equal((await sql('SELECT current_user, current_database()')).trim(), 'books|books');
    const denied = await runDocker([
      'exec',
      '-e',
      'PGPASSWORD=wrong',
      name,
      'psql',
      '--host=127.0.0.1',
      '--username=books',
      '--dbname=books',
      '--command=SELECT 1',
    ]);
    assert.notEqual(denied.code, 0, 'a wrong password is refused');
    assert.match(denied.stderr, /password authentication failed/);
    const data = fs.statSync(path.join(folder, 'volume', 'pgdata'));
    assert.deepEqual([data.uid, data.mode & 0o777], [999, 0o700], "PGDATA is a folder of the volume, the user's alone");
  });

  it("stops cleanly with the pod's preStop, and starts again on its volume with the data and without initialising it again", async () => {
    await sql('CREATE TABLE kept (n integer); INSERT INTO kept VALUES (42)');
    // The server, the container's process, ends under the command: its exit status is the engine's.
    await runDocker(['exec', name, 'sh', '-c', 'pg_ctl stop --pgdata="$PGDATA" --mode=fast --wait --timeout=50']);
    await eventually(
      'the container ends with its server',
      async () => (await docker(['inspect', '--format', '{{.State.Running}}', name])).trim() === 'false',
      20_000,
      250,
    );
    const logs = (await runDocker(['logs', name])).stderr;
    assert.match(logs, /database system is shut down/);
    await docker(['start', name]);
    await ready();
    assert.equal((await sql('SELECT n FROM kept')).trim(), '42');
    const after = (await runDocker(['logs', name])).stderr;
    assert.equal(after.split('PostgreSQL initialised').length, 2, 'initialised once, on the empty volume only');
    assert.doesNotMatch(
      after.slice(after.lastIndexOf('starting PostgreSQL')),
      /redo starts|was interrupted/,
      'no crash recovery: the last stop was clean',
    );
  });

  it('refuses to start on an empty volume without a password, saying so', async () => {
    const run = await runDocker(['run', '--rm', '--read-only', '--user', '999:999', '--tmpfs', '/tmp', '-e', 'PGDATA=/tmp/pgdata', image]);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /neither POSTGRES_PASSWORD_FILE nor POSTGRES_PASSWORD is set/);
  });
});
