import { strict as assert } from 'node:assert';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { booksListBody, startMemoryBackends } from '../../bench/memory-backend.js';
import type { RunningServer } from '../../bench/nginx-server.js';
import { locateNginx } from '../../scripts/toolkit/nginx.js';
import { pipelined, request } from '../gateway/support/http.js';
import { useLocalSystem } from '../gateway/support/system.js';

// The proxies' table of npm run bench puts these in place of the books API (which reads from
// PostgreSQL and would be every case's bottleneck): each must answer as the API does, and keep
// a proxy's connection as long as the API would.
describe('the memory backends npm run bench puts behind the proxies', () => {
  const { system } = useLocalSystem({ booksProcesses: 1 });
  let folder: string;
  let backends: RunningServer[] = [];
  let apiBody: string;

  before(async function () {
    this.timeout(30000);
    folder = await mkdtemp(join(tmpdir(), 'bench-memory-'));
    // Readable by nginx's workers, which run as `nobody` when the master runs as root (as in the bench).
    await chmod(folder, 0o755);
    const [books] = system().books;
    assert.ok(books, 'the local system has a books process');
    apiBody = await booksListBody(books.url);
    backends = await startMemoryBackends(locateNginx(), folder, apiBody, 2);
  });
  after(async () => {
    await Promise.all(backends.map((backend) => backend.stop()));
    await rm(folder, { recursive: true, force: true });
  });

  it('are two servers on their own ports, each answering GET /books with the API body as JSON, and 404 otherwise', async () => {
    assert.equal(new Set(backends.map(({ url }) => url)).size, 2);
    assert.ok((JSON.parse(apiBody) as unknown[]).length > 0, 'the API listed books to serve');
    for (const { url } of backends) {
      const reply = await request(`${url}/books`);
      assert.equal(reply.status, 200);
      assert.equal(reply.body, apiBody);
      assert.match(reply.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal((await request(`${url}/books/1788395549`)).status, 404);
    }
  });

  it('answer more requests on one connection than the 1000 after which nginx closes it by default', async function () {
    this.timeout(30000);
    const [backend] = backends;
    assert.ok(backend);
    const statuses = await pipelined(Number(new URL(backend.url).port), 'GET /books HTTP/1.1\r\nHost: bench\r\n\r\n', 1200);
    assert.equal(statuses.length, 1200);
    assert.deepEqual([...new Set(statuses)], [200]);
  });
});
