import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { eventually } from '../../scripts/toolkit/eventually.js';
import { request, type HttpResponse } from '../books/support/http-client';
import { SITE_CONF, startNginx, wrapperConfig, type RunningNginx } from './support/nginx';
import { builtPage, REPO_ROOT } from './support/page-build';

const NO_CACHE = 'no-cache';
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** The hashed files index.html loads, e.g. `/assets/index-CI2_xcvC.css`. */
function assetPaths(indexHtml: string): string[] {
  return [...indexHtml.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1] ?? '');
}

function assertIsIndexHtml(response: HttpResponse, indexHtml: string): void {
  assert.equal(response.status, 200);
  assert.equal(response.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(response.headers['cache-control'], NO_CACHE);
  assert.equal(response.body, indexHtml);
}

/**
 * The checks every nginx serving the page must pass, whichever configuration wraps site.conf;
 * returns the running nginx for further checks.
 */
function servesThePage(start: (dist: string) => Promise<RunningNginx>): () => RunningNginx {
  let dist: string;
  let indexHtml: string;
  let nginx: RunningNginx;
  const get = (path: string, headers?: Record<string, string>) => request(nginx.port, path, { headers });

  before(async function () {
    this.timeout(120_000);
    dist = await builtPage();
    indexHtml = readFileSync(join(dist, 'index.html'), 'utf8');
    nginx = await start(dist);
  });

  after(async function () {
    await nginx?.stop();
  });

  it('serves index.html at / and /index.html, not cached without revalidation', async function () {
    assertIsIndexHtml(await get('/'), indexHtml);
    assertIsIndexHtml(await get('/index.html'), indexHtml);
    assert.equal((await get('/')).headers['server'], 'nginx', 'no version in Server');
  });

  it('serves the hashed assets under /assets/ cached for a year, immutable', async function () {
    const assets = assetPaths(indexHtml);
    assert.ok(assets.some((path) => path.endsWith('.js')) && assets.some((path) => path.endsWith('.css')), assets.join(', '));
    for (const path of assets) {
      const response = await get(path);
      assert.equal(response.status, 200, path);
      assert.equal(response.headers['cache-control'], IMMUTABLE, path);
      assert.equal(response.bytes.length, readFileSync(join(dist, path)).length);
      assert.match(response.headers['content-type'] ?? '', path.endsWith('.js') ? /javascript/ : /^text\/css/);
    }
  });

  it('compresses HTML, JavaScript and CSS with gzip when the client accepts it', async function () {
    for (const path of ['/', ...assetPaths(indexHtml)]) {
      const plain = await get(path);
      const zipped = await get(path, { 'accept-encoding': 'gzip' });
      assert.equal(plain.headers['content-encoding'], undefined, path);
      assert.equal(zipped.headers['content-encoding'], 'gzip', path);
      assert.match(zipped.headers['vary'] ?? '', /Accept-Encoding/, path);
      assert.ok(zipped.bytes.length < plain.bytes.length, `${path} is smaller`);
      assert.deepEqual(gunzipSync(zipped.bytes), plain.bytes, path);
    }
  });

  it('serves the files the build compressed once, rather than compressing on every request', async function () {
    for (const path of ['/index.html', ...assetPaths(indexHtml)]) {
      const zipped = await get(path, { 'accept-encoding': 'gzip' });
      assert.equal(zipped.headers['content-encoding'], 'gzip', path);
      assert.deepEqual(zipped.bytes, readFileSync(join(dist, `${path}.gz`)), `${path} is the build's ${path}.gz`);
    }
  });

  it('answers unknown page paths with the app (single-page fallback)', async function () {
    for (const path of ['/about', '/books-list/2024/', '/some/deep/page?x=1']) {
      assertIsIndexHtml(await get(path), indexHtml);
    }
  });

  it('answers a missing asset with a real 404, not the app', async function () {
    for (const path of ['/assets/index-00000000.js', '/assets/', '/assets/nested/missing.css']) {
      const response = await get(path);
      assert.equal(response.status, 404, path);
      assert.equal(response.headers['cache-control'], undefined, `${path}: a 404 is not cached for a year`);
      assert.doesNotMatch(response.body, /id="root"/);
    }
  });

  it('serves other public files, such as the icon, revalidated like index.html', async function () {
    const icon = await get('/favicon.svg');
    assert.equal(icon.status, 200);
    assert.equal(icon.headers['content-type'], 'image/svg+xml');
    assert.equal(icon.headers['cache-control'], NO_CACHE);
  });

  return () => nginx;
}

describe('books-react served through site.conf on a real nginx', function () {
  servesThePage((dist) => startNginx((port, runDir) => wrapperConfig(port, dist, runDir)));
});

describe("books-react image's nginx.conf, its paths mapped to a temporary folder", function () {
  const containerConfig = readFileSync(join(REPO_ROOT, 'apps/books-react/nginx/nginx.conf'), 'utf8');

  const nginx = servesThePage((dist) =>
    startNginx((port, runDir) =>
      containerConfig
        .replaceAll('/tmp/', `${runDir}/`)
        .replace('listen 3000;', `listen 127.0.0.1:${port};`)
        .replace('root /usr/share/nginx/html;', `root ${dist};`)
        .replace('include /etc/nginx/site.conf;', `include ${SITE_CONF};`),
    ),
  );

  it('logs each request to stdout as a JSON line with the gateway request id', async function () {
    const requestId = `page-${process.pid}-${Date.now()}`;
    await request(nginx().port, '/about', { headers: { 'x-request-id': requestId } });
    // nginx logs after it has answered, and only a newline-terminated line is complete.
    const logLine = () =>
      nginx()
        .stdout()
        .split('\n')
        .slice(0, -1)
        .find((text) => text.includes(requestId));
    await eventually('a log line with the request id', () => logLine() !== undefined, 5000);
    const entry = JSON.parse(logLine() ?? '') as Record<string, unknown>;
    assert.equal(entry['request_id'], requestId);
    assert.equal(entry['uri'], '/about');
    assert.equal(entry['status'], 200);
  });
});
