import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium.js';
import { startNginx, wrapperConfig, type RunningNginx } from './support/nginx';
import { builtPage } from './support/page-build';

type Responder = (req: IncomingMessage, res: ServerResponse) => void;

const BOOKS = [
  { id: 1788395549, title: 'Learning Node.js Development' },
  { id: 1788620216, title: 'Hands-On Microservices with Node.js' },
  { id: 306406152, title: 'A Book Whose ISBN Starts With Zero' },
];

function sendJson(status: number, body: unknown): Responder {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
  };
}

/**
 * The page served by nginx through site.conf, with /books proxied to a stand-in API whose
 * answers each test chooses, in headless Chromium.
 */
describe('books-react page in Chromium', function () {
  let respond: Responder;
  let api: Server;
  let nginx: RunningNginx;
  let browser: Browser;
  let page: Page;

  before(async function () {
    this.timeout(120_000);
    api = createServer((req, res) => respond(req, res));
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const apiPort = (api.address() as AddressInfo).port;
    const dist = await builtPage();
    nginx = await startNginx((port, runDir) =>
      wrapperConfig(port, dist, runDir, `location /books { proxy_pass http://127.0.0.1:${apiPort}; }`),
    );
    browser = await launchChromium();
  });

  after(async function () {
    await browser?.close();
    await nginx?.stop();
    api?.closeAllConnections();
    await new Promise((resolve) => (api ? api.close(resolve) : resolve(undefined)));
  });

  beforeEach(async function () {
    respond = sendJson(200, BOOKS);
    page = await browser.newPage();
    page.setDefaultTimeout(5000);
  });

  afterEach(async function () {
    await page?.close();
  });

  const open = () => page.goto(`http://127.0.0.1:${nginx.port}/`);
  const bookItems = () => page.getByRole('list', { name: 'Books' }).getByRole('listitem').allTextContents();

  it('shows a loading state, then each book title with its ISBN in a list', async function () {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    respond = (req, res) => void released.then(() => sendJson(200, BOOKS)(req, res));

    await open();
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Books');
    assert.equal(await page.getByRole('status').textContent(), 'Loading books…');
    assert.equal(await page.getByRole('status').isVisible(), true);

    release();
    await page.getByRole('list', { name: 'Books' }).waitFor();
    assert.deepEqual(await bookItems(), [
      'Learning Node.js Development ISBN 1788395549',
      'Hands-On Microservices with Node.js ISBN 1788620216',
      'A Book Whose ISBN Starts With Zero ISBN 0306406152',
    ]);
    assert.equal(await page.getByRole('status').count(), 0, 'the loading state is gone');
    assert.equal(await page.getByRole('alert').count(), 0);
  });

  it('lists every book across the pages the API names in its Link header', async function () {
    const pages = new Map<string, { books: typeof BOOKS; next?: string }>([
      ['/books', { books: BOOKS.slice(0, 2), next: '/books?limit=2&cursor=Mg' }],
      ['/books?limit=2&cursor=Mg', { books: BOOKS.slice(2) }],
    ]);
    const asked: string[] = [];
    respond = (req, res) => {
      asked.push(req.url ?? '');
      const answer = pages.get(req.url ?? '');
      if (!answer) return void sendJson(404, { error: 'not_found', message: 'no such page' })(req, res);
      const link = answer.next ? { link: `<${answer.next}>; rel="next"` } : {};
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', ...link }).end(JSON.stringify(answer.books));
    };
    await open();
    await page.getByRole('list', { name: 'Books' }).waitFor();
    assert.equal((await bookItems()).length, BOOKS.length);
    assert.deepEqual(asked, ['/books', '/books?limit=2&cursor=Mg']);
  });

  it('shows a friendly error with Retry when the API fails, and the books after a Retry', async function () {
    respond = sendJson(502, { error: 'bad_gateway', message: 'No books service answered' });
    await open();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /^Sorry, the books could not be loaded\.\s+The server answered 502 Bad Gateway\./);
    assert.equal(await page.getByRole('list', { name: 'Books' }).count(), 0);

    respond = sendJson(200, BOOKS);
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.getByRole('list', { name: 'Books' }).waitFor();
    assert.equal((await bookItems()).length, BOOKS.length);
    assert.equal(await alert.count(), 0, 'the error is gone');
  });

  it('shows the error when the API answers 2xx with something other than a JSON list of books', async function () {
    const wrongAnswers: Responder[] = [
      (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Books</title>'),
      (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('[{"id": 1,'),
      sendJson(200, { books: BOOKS }),
      sendJson(200, [{ id: '1788395549', title: 'id is a string' }]),
    ];
    for (const wrongAnswer of wrongAnswers) {
      respond = wrongAnswer;
      await open();
      await page.getByRole('alert').waitFor();
      assert.equal(await page.getByRole('button', { name: 'Retry' }).isVisible(), true);
      assert.equal(await page.getByRole('list', { name: 'Books' }).count(), 0);
    }
  });

  it('shows the error when the network fails before any answer', async function () {
    await page.route('**/books', (route) => route.abort('connectionrefused'));
    await open();
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').innerText(), /The server could not be reached\./);
  });
});
