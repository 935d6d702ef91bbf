import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGeneratorRateLimit } from '../../bench/configurations.js';
import { runDirOf, type RunningServer } from '../../bench/nginx-server.js';
import { accessLogFile, securityHeaders } from '../../bench/peer-configs.js';
import { type PeerName, startPeer } from '../../bench/peer-server.js';
import { freePort } from '../../scripts/toolkit/ports.js';
import { jsonLogRecords } from '../gateway/support/access-log.js';
import { type Reply, request } from '../gateway/support/http.js';
import { useLocalSystem } from '../gateway/support/system.js';
import { eventually } from '../../scripts/toolkit/eventually.js';

// The bench compares the gateway with these peers: the comparison is only honest if each does
// the gateway's job. Each runs once, for real, in front of the real books processes and page,
// and must answer as the gateway (the local system's, rendered by renderGateway) does.
describe('the peers npm run bench compares the gateway with', () => {
  const { system } = useLocalSystem({ booksProcesses: 2, booksEnv: { LOG_LEVEL: 'warn' }, gateway: { rateLimit: loadGeneratorRateLimit } });
  let folder: string;
  const peers = new Map<PeerName, RunningServer>();
  const names: PeerName[] = ['haproxy', 'caddy', 'bare nginx'];

  before(async function () {
    this.timeout(30000);
    folder = await mkdtemp(join(tmpdir(), 'bench-peers-'));
    const backends = { books: system().books.map(({ port }) => port), booksReact: Number(new URL(system().booksReact.url).port) };
    for (const name of names) {
      peers.set(
        name,
        await startPeer(name, join(folder, name.replace(' ', '-')), await freePort(), {
          ...backends,
          workers: 1,
          rateLimit: loadGeneratorRateLimit,
        }),
      );
    }
  });
  after(async () => {
    await Promise.all([...peers.values()].map((peer) => peer.stop()));
    await rm(folder, { recursive: true, force: true });
  });

  const urlOf = (name: PeerName) => peers.get(name)?.url ?? assert.fail(`${name} did not start`);
  const both = async (name: PeerName, path: string, init?: RequestInit): Promise<[peer: Reply, gateway: Reply]> => [
    await request(`${urlOf(name)}${path}`, init),
    await request(`${system().gateway.url}${path}`, init),
  ];

  for (const name of names) {
    it(`${name} routes /books to the API and the rest, /bookshelf too, to the page, as the gateway does`, async () => {
      for (const path of ['/books', '/books/1788395549', '/', '/bookshelf']) {
        const [peer, gateway] = await both(name, path);
        assert.equal(peer.status, 200, `${path} through ${name}`);
        assert.equal(peer.body, gateway.body, `${path} through ${name}`);
      }
    });
  }

  for (const name of ['haproxy', 'caddy'] as const) {
    it(`${name} passes a well-formed X-Request-Id on to the API and back, and makes a fresh one otherwise`, async () => {
      const kept = await request(`${urlOf(name)}/books/0`, { headers: { 'X-Request-Id': 'trace-1234-abcd' } });
      // The API's own error (not an ISBN): its body names the request id the API received.
      assert.equal(kept.status, 400);
      assert.equal(kept.headers.get('x-request-id'), 'trace-1234-abcd');
      assert.equal((JSON.parse(kept.body) as { requestId: string }).requestId, 'trace-1234-abcd', 'the API saw the same id');

      const ids = new Set<string>();
      for (const incoming of [undefined, 'bad id', undefined]) {
        const reply = await request(`${urlOf(name)}/books/0`, { headers: incoming ? { 'X-Request-Id': incoming } : {} });
        const id = reply.headers.get('x-request-id') ?? assert.fail('no X-Request-Id returned');
        assert.equal((JSON.parse(reply.body) as { requestId: string }).requestId, id, 'the API saw the id the client got');
        ids.add(id);
      }
      assert.equal(ids.size, 3, 'a new id per request');
      assert.ok(!ids.has('bad id'));
    });

    it(`${name} adds the gateway's security headers, drops X-Powered-By and refuses what the gateway refuses`, async () => {
      for (const path of ['/books', '/']) {
        const [peer, gateway] = await both(name, path);
        for (const [header] of securityHeaders) {
          assert.ok(gateway.headers.get(header), `the gateway sends ${header}`);
          assert.equal(peer.headers.get(header), gateway.headers.get(header), `${header} on ${path} through ${name}`);
        }
        assert.equal(peer.headers.get('x-powered-by'), null);
      }
      for (const [method, path] of [
        ['POST', '/books'],
        ['DELETE', '/books/1788395549'],
        ['POST', '/'],
        ['PROPFIND', '/books'],
      ]) {
        const [peer, gateway] = await both(name, path ?? '/', { method });
        assert.equal(peer.status, gateway.status, `${method} ${path} through ${name}`);
        assert.ok(peer.headers.get('x-request-id'), `${name}'s own refusal carries a request id`);
      }
    });

    it(`${name} writes a JSON access log line per request`, async () => {
      await request(`${urlOf(name)}/books?logged=${name}`);
      await eventually(`${name}'s log line of the request`, async () => {
        const records = await jsonLogRecords(accessLogFile(runDirOf(join(folder, name))));
        return records.some((record) => JSON.stringify(record).includes(`/books?logged=${name}`));
      });
    });
  }
});
