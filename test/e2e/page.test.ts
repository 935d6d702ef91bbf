import { strict as assert } from 'node:assert';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium.js';
import { request } from '../gateway/support/http.js';
import { eventually } from '../../scripts/toolkit/eventually.js';
import { useLocalSystem } from '../gateway/support/system.js';

const tutorialTitles = ['Learning Node.js Development', 'Hands-On Microservices with Node.js'];

describe('the books page in a real browser, through the gateway', function () {
  this.timeout(60000);
  const { system } = useLocalSystem();
  let browser: Browser | undefined;
  let page: Page;

  before(async () => {
    browser = await launchChromium();
    page = await browser.newPage();
    page.setDefaultTimeout(15000);
  });
  after(async () => {
    await browser?.close();
  });

  it("lists the books' titles", async () => {
    await page.goto(system().gateway.url);
    const list = page.getByRole('list', { name: 'Books' });
    for (const title of tutorialTitles) await list.getByText(title).waitFor();
    assert.equal(await page.getByRole('alert').count(), 0);
  });

  it('shows the error state when the books API is down, and the list again after Retry', async () => {
    const { books, gateway } = system();
    await Promise.all(books.map((book) => book.process.stop()));
    try {
      await page.reload();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      assert.match(await alert.innerText(), /could not be loaded/);
      assert.match(await alert.innerText(), /502/);
      assert.equal(await page.getByRole('list', { name: 'Books' }).count(), 0);
    } finally {
      await Promise.all(books.map((book) => book.start()));
    }
    // nginx keeps failed servers out for its fail_timeout: retry once it serves again.
    await eventually('the gateway serves the books again', async () => (await request(`${gateway.url}/books`)).status === 200);
    await page.getByRole('button', { name: 'Retry' }).click();
    await page
      .getByRole('list', { name: 'Books' })
      .getByText(tutorialTitles[0] ?? '')
      .waitFor();
  });
});
