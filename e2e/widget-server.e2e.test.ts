// The widget against the real server (server/app.ts with the widget API, embedded database, offline
// answerer): the contract as both sides implement it. A visitor on a registered site asks, gets a
// cited answer streamed, reloads and continues, leaves an email; a page on another origin gets nothing.
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { SiteView } from '../contracts/sites.ts';
import type { Database } from '../server/db/database.ts';
import { defaultWidgetDir, widgetAssetsRoutes } from '../server/widget-assets/assets.routes.ts';
import { buildTestApp, openTestDatabase } from '../test/harness.ts';
import { newOwner } from '../test/sessions.ts';
import { seedPages } from '../test/widget-helpers.ts';
import { browserStepTimeoutMs, buildWidget, describeBrowser, launchBrowser, watchErrors } from './browser.ts';
import { startHostSite, type HostSite } from './fake-cloop.ts';

type TestApp = Awaited<ReturnType<typeof buildTestApp>>;

describeBrowser('widget with the real server', () => {
  let database: Database;
  let t: TestApp;
  let browser: Browser;
  let site: HostSite;
  let stranger: HostSite;
  let cloopOrigin: string;
  let registered: SiteView;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    // Where the server's own plugin reads the bundles (once server/app.ts registers it), built first.
    buildWidget(defaultWidgetDir);
    [database, browser, site, stranger] = await Promise.all([openTestDatabase(), launchBrowser(), startHostSite(), startHostSite()]);
    // One browser is one address: the per-IP limits are tested in server/chat.
    t = await buildTestApp(database, { RATE_LIMIT_CHAT: '10000/60', RATE_LIMIT_PUBLIC: '10000/60', RATE_LIMIT_ADMIN: '10000/60', CHAT_NEW_CONVERSATIONS_PER_IP: '10000/3600' });
    if (!t.app.hasRoute({ method: 'GET', url: '/widget.js' })) await t.app.register(widgetAssetsRoutes, { config: t.config });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    cloopOrigin = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;

    const owner = await newOwner(t.app, t.deps);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/sites',
      headers: owner.headers,
      payload: { name: 'Northwind Outdoor', domains: [new URL(site.origin).host], settings: { greeting: 'Hello from **Northwind**!', starterQuestions: ['How long is the warranty?'] } },
    });
    expect(res.statusCode).toBe(201);
    registered = res.json() as SiteView;
    await seedPages(t.deps, owner.tenantId, registered.id, [
      { url: 'https://northwind.example/warranty', title: 'Warranty', text: 'Every Northwind tent has a five year warranty. Send the tent back with the receipt and we repair or replace it.' },
      { url: 'https://northwind.example/shipping', title: 'Shipping', text: 'We ship to Finland, Sweden and Germany. Shipping takes three to five working days.' },
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await stranger?.close();
    await t?.close();
    await database?.close();
  });
  afterEach(async () => {
    await context?.close();
  });

  const hostHtml = () =>
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Northwind</title></head><body><h1>Northwind</h1><script src="${cloopOrigin}/widget.js" data-site="${registered.embedKey}" async></script></body></html>`;

  async function visit(on: HostSite): Promise<void> {
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(browserStepTimeoutMs);
    page = await context.newPage();
    errors = watchErrors(page);
    await page.goto(on.page(path.posix.join('/', 'shop'), hostHtml()));
    await page.locator('cloop-widget .l').click();
    await page.locator('cloop-widget [role=dialog]').waitFor();
  }

  it('answers from the site’s content with citations, continues after a reload, and takes an email', async () => {
    await visit(site);
    await page.locator('cloop-widget .bubble').getByText('Hello from').waitFor();
    await page.locator('cloop-widget .chip').getByText('How long is the warranty?').click();
    const answer = page.locator('cloop-widget .msg.bot').nth(1);
    await answer.locator('.src').waitFor({ timeout: 20_000 });
    await expect(answer.locator('.bubble').textContent()).resolves.toMatch(/five year warranty/i);
    await expect(answer.locator('.src a').first().getAttribute('href')).resolves.toBe('https://northwind.example/warranty');

    await page.reload();
    await page.locator('cloop-widget .msg.me').getByText('How long is the warranty?').waitFor();
    await expect(page.locator('cloop-widget .msg.bot .src').count()).resolves.toBe(1);

    await page.locator('cloop-widget #cloop-input').fill('Can someone from your team contact me by email?');
    await page.locator('cloop-widget #cloop-input').press('Enter');
    const form = page.locator('cloop-widget form.lead');
    await form.waitFor({ timeout: 20_000 });
    await form.locator('input').fill('visitor@example.com');
    await form.locator('input').press('Enter');
    await page.locator('cloop-widget .note').waitFor();
    expect(await context.cookies()).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('does nothing for a page on an origin the site did not register', async () => {
    await visit(stranger);
    await page.locator('cloop-widget .err').waitFor();
    await expect(page.locator('cloop-widget .err').textContent()).resolves.toBe('The assistant is not available right now.');
  });
});
