import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:net';
import { request } from '../gateway/support/http.js';
import { eventually } from '../../scripts/toolkit/eventually.js';
import { freePort } from '../../scripts/toolkit/ports.js';
import { assertNothingLeft, isAlive, useLocalCommands } from './local-command.js';
import { assertCreatedBy, newBookBody } from '../support/book-writes.js';

describe('npm run local', function () {
  this.timeout(90000);
  const startCommand = useLocalCommands();

  it('prints one line per component, serves the system with the GATEWAY_* settings, and stops everything on SIGTERM', async () => {
    const port = await freePort();
    const apiKey = 'local-dev-key-0123456789abcdef';
    const command = startCommand({ GATEWAY_PORT: String(port), GATEWAY_API_KEYS: JSON.stringify({ dev: apiKey }) });
    const components = await command.components();
    assert.deepEqual(
      components.map(({ name }) => name),
      ['gateway', 'books-1', 'books-2', 'books-react', 'postgres'],
    );
    assert.equal(components[0]?.url, `http://127.0.0.1:${port}`);
    const books = await request(`http://127.0.0.1:${port}/books`);
    assert.equal(books.status, 200);
    assert.match(books.body, /Learning Node\.js Development/);
    const page = await request(`http://127.0.0.1:${port}/`);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);

    assert.ok(command.stdout.includes('Gateway settings: API keys (1 client)'), command.stdout.join('\n'));
    assert.ok(!command.stdout.join('\n').includes(apiKey), 'the key is never printed');
    const write = (headers: Record<string, string>) =>
      request(`http://127.0.0.1:${port}/books`, {
        method: 'POST',
        body: newBookBody(),
        headers: { 'content-type': 'application/json', ...headers },
      });
    assertCreatedBy(
      await write({ 'x-api-key': apiKey }),
      'dev',
      "with the key the write reaches the API, which stores it as written by the key's client",
    );
    const withoutKey = await write({});
    assert.equal(withoutKey.status, 401, 'without the key the gateway refuses the write');
    assert.equal((JSON.parse(withoutKey.body) as { error: string }).error, 'unauthorized');
    assert.match(withoutKey.headers.get('www-authenticate') ?? '', /^Bearer realm="books-gateway"/);

    process.kill(command.pid, 'SIGTERM');
    assert.equal((await command.exit).code, 0);
    await assertNothingLeft(command.stdout);
  });

  it('prints one readable line per request the books processes answer, and on Ctrl-C what stopped and why', async () => {
    const port = await freePort();
    const command = startCommand({ GATEWAY_PORT: String(port) });
    await command.components();
    const paths = Array.from({ length: 30 }, (_, index) => (index % 3 === 2 ? '/books/1617293725' : '/books'));
    for (const path of paths) await request(`http://127.0.0.1:${port}${path}`);
    // What the run printed once it was up: the books processes' readiness checks come before.
    const afterStart = () => command.stdout.slice(command.stdout.findIndex((line) => line.startsWith('Open ')) + 1);
    const requestLine = /^books-[12] {6}(GET) (\/books\S*) (\d{3}) \d+\.\d ms$/;
    await eventually('a line for each request', () => afterStart().filter((line) => requestLine.test(line)).length >= paths.length);
    const printed = afterStart();
    command.signal('SIGINT');
    assert.equal((await command.exit).code, 0);

    assert.deepEqual(
      printed.filter((line) => line.startsWith('books-')),
      printed.filter((line) => requestLine.test(line)),
      'every books line is a request line',
    );
    const requests = printed.flatMap((line) => requestLine.exec(line)?.slice(1, 4).join(' ') ?? []);
    assert.deepEqual(requests.sort(), paths.map((path) => `GET ${path} ${path === '/books' ? 200 : 404}`).sort(), 'one line per request');
    assert.ok(!command.stdout.some((line) => line.includes('{"level"')), 'no JSON log line');
    assert.deepEqual(command.stderr.slice(-2), ['stopping: Ctrl-C (SIGINT)', 'stopped: gateway, books-1, books-2, books-react, postgres']);
  });

  it('stops the rest and fails when one component dies', async () => {
    const command = startCommand({ GATEWAY_PORT: String(await freePort()) });
    const components = await command.components();
    const victim = components.find(({ name }) => name === 'books-2');
    assert.ok(victim);
    process.kill(victim.pid, 'SIGKILL');
    const { code } = await command.exit;
    assert.equal(code, 1);
    assert.ok(command.stderr.includes('stopping: books-2 killed by SIGKILL'), command.stderr.join('\n'));
    assert.ok(command.stderr.includes('stopped: gateway, books-1, books-2, books-react, postgres'), command.stderr.join('\n'));
    await eventually('the other components have stopped', () => components.every(({ pid }) => !isAlive(pid)));
  });

  it('refuses a bad GATEWAY_* setting with a one-line message naming the variable, starting nothing', async () => {
    const command = startCommand({ GATEWAY_PORT: String(await freePort()), GATEWAY_RATE_LIMIT_PER_SECOND: '0' });
    const { code } = await command.exit;
    assert.equal(code, 1);
    assert.deepEqual(command.stderr, ['npm run local: GATEWAY_RATE_LIMIT_PER_SECOND must be a whole number of at least 1, got 0']);
    assert.deepEqual(command.stdout, [], 'no component started');
  });

  it('--help prints the usage with every GATEWAY_* variable and starts nothing', async () => {
    const command = startCommand({ GATEWAY_PORT: String(await freePort()) }, ['--help']);
    assert.equal((await command.exit).code, 0);
    const usage = command.stdout.join('\n');
    assert.match(usage, /^Usage: npm run local/);
    for (const variable of [
      'GATEWAY_PORT',
      'GATEWAY_JWT_HMAC_SECRET, GATEWAY_JWT_HMAC_SECRET_FILE',
      'GATEWAY_RATE_LIMIT_PER_SECOND',
      'GATEWAY_TLS_KEY',
    ]) {
      assert.ok(usage.includes(variable), `the usage names ${variable}`);
    }
    assert.ok(!command.stdout.some((line) => line.startsWith('[')), 'no component started');
  });

  it('exits 2 with the usage on an unknown argument, starting nothing', async () => {
    const command = startCommand({ GATEWAY_PORT: String(await freePort()) }, ['--port', '9090']);
    assert.equal((await command.exit).code, 2);
    assert.match(command.stderr[0] ?? '', /^Unknown option '--port'/);
    assert.ok(command.stderr.some((line) => line.startsWith('Usage: npm run local')));
    assert.deepEqual(command.stdout, []);
  });

  describe('when the gateway port is taken', () => {
    let occupant: Server;
    let port: number;
    before(async () => {
      occupant = createServer();
      await new Promise<void>((resolve) => occupant.listen(0, '127.0.0.1', resolve));
      port = (occupant.address() as { port: number }).port;
    });
    after(() => new Promise<void>((resolve) => occupant.close(() => resolve())));

    it('`npm run local` exits non-zero with a one-line message naming the port before it builds anything', async () => {
      const command = startCommand({ GATEWAY_PORT: String(port) }, [], 'npm');
      const { code } = await command.exit;
      assert.equal(code, 1);
      // npm's own lines (`> books-gateway@0.1.0 local`) are on stdout; a build would print its own.
      assert.deepEqual(command.stderr, [
        `npm run local: port ${port} on 127.0.0.1 is already in use, so the gateway cannot listen there; set GATEWAY_PORT to a free port, or stop what uses it`,
      ]);
      assert.ok(
        !command.stdout.some((line) => /build|tsc|vite/.test(line) && !line.includes('scripts/local.ts')),
        command.stdout.join('\n'),
      );
    });
  });
});
