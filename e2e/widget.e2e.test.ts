// The chat widget as a visitor meets it, in real Chromium: the loader, opening and closing, keyboard
// use, screen-reader semantics, mobile, colour schemes, motion, continuing after a reload, the email
// form, errors and languages. The API is a scripted fake (e2e/fake-cloop.ts).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { describeBrowser, screenshot } from './browser.ts';
import { defaultAnswer, defaultConfig, hostPage, useWidgetHarness } from './fake-cloop.ts';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

describeBrowser('chat widget', () => {
  let context: BrowserContext;
  let page: Page;
  let errors: string[] = [];
  const h = useWidgetHarness(() => {
    expect(errors, 'no errors in the host page').toEqual([]);
  });

  /** A fresh visitor (own storage) on a host page. */
  async function visit(options: BrowserContextOptions = {}, pageOptions: Parameters<typeof hostPage>[1] = {}, path = '/'): Promise<Page> {
    ({ context, page, errors } = await h.open({ viewport: { width: 1280, height: 800 }, ...options }));
    await page.goto(h.site.page(path, hostPage(h.cloop, pageOptions)));
    await page.locator('cloop-widget .l').waitFor();
    return page;
  }

  const launcher = () => page.locator('cloop-widget .l');
  const dialog = () => page.locator('cloop-widget [role=dialog]');
  const input = () => page.locator('cloop-widget #cloop-input');
  /** The id (or class) of the focused element inside the widget, '' when focus is outside it. */
  const focused = () =>
    page.evaluate(() => {
      const root = document.querySelector('cloop-widget')?.shadowRoot;
      const el = document.activeElement === root?.host ? root?.activeElement : null;
      return el ? el.id || el.className || el.tagName.toLowerCase() : '';
    });
  const appRequests = () => h.cloop.requests.filter((r) => r.url.startsWith('/widget/v1/app.js'));

  async function ask(question: string): Promise<void> {
    await input().fill(question);
    await input().press('Enter');
    await page.locator('cloop-widget .log').getByText(`You asked: ${question}`).waitFor();
  }

  it('draws the launcher when the page is idle and fetches the chat UI only when opened', async () => {
    const before = h.cloop.requests.length;
    await visit();
    await expect(launcher().getAttribute('aria-label')).resolves.toBe('Open chat');
    await expect(launcher().getAttribute('aria-expanded')).resolves.toBe('false');
    expect(h.cloop.requests.slice(before).map((r) => r.path)).toEqual(['/widget.js']);
    // One global, no other traces in the host page.
    const globals = await page.evaluate(() => Object.keys(window).filter((k) => k.toLowerCase().includes('cloop')));
    expect(globals).toEqual(['CloopWidget']);

    await launcher().click();
    await dialog().waitFor();
    expect(appRequests().at(-1)?.url).toMatch(/^\/widget\/v1\/app\.js\?v=[0-9a-f]{16}$/);
    await expect(dialog().getAttribute('aria-labelledby')).resolves.toBe('cloop-title');
    await expect(page.locator('cloop-widget #cloop-title').textContent()).resolves.toBe('Acme Outdoor');
    await expect(launcher().getAttribute('aria-expanded')).resolves.toBe('true');
  });
  it('works with the keyboard alone: focus moves in on open and back to the launcher on Escape', async () => {
    await visit();
    for (let i = 0; i < 8 && (await focused()) !== 'l'; i++) await page.keyboard.press('Tab');
    expect(await focused()).toBe('l');
    await page.keyboard.press('Enter');
    await dialog().waitFor();
    await expect.poll(focused).toBe('cloop-input');

    await page.keyboard.type('What is the return policy?');
    await page.keyboard.press('Enter');
    const answer = page.locator('cloop-widget .msg.bot').last();
    await answer.locator('.src').waitFor();
    await expect(answer.locator('.bubble strong').textContent()).resolves.toBe('free');
    await expect(answer.locator('.bubble li').count()).resolves.toBe(2);
    await expect(answer.locator('.src li').allTextContents()).resolves.toEqual(['[1] Returns', '[2] Warranty (PDF) (page 3)']);
    expect(await focused()).toBe('cloop-input');

    // Tab reaches the send button; Shift+Tab goes back up through the conversation's links.
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('icon send');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    await expect.poll(() => page.evaluate(() => document.querySelector('cloop-widget')!.shadowRoot!.activeElement?.tagName)).toBe('A');

    await page.keyboard.press('Escape');
    await expect(dialog().isHidden()).resolves.toBe(true);
    expect(await focused()).toBe('l');
    await expect(launcher().getAttribute('aria-expanded')).resolves.toBe('false');
    // Enter on the launcher opens it again, with the conversation still there.
    await page.keyboard.press('Enter');
    await expect.poll(focused).toBe('cloop-input');
    await expect(page.locator('cloop-widget .msg.me').count()).resolves.toBe(1);
    // The close button closes too, and focus returns to the launcher.
    await page.locator('cloop-widget .head button').last().click();
    expect(await focused()).toBe('l');
  });

  it('is a labelled dialog whose log announces finished answers, not tokens, and says it is an AI', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    h.cloop.answer = (message) => ({ ...defaultAnswer(message), holdBeforeEnd: held });
    await visit();
    await launcher().click();
    await expect(page.locator('cloop-widget .notice').textContent()).resolves.toContain('You are chatting with an AI assistant');
    await expect(page.locator('cloop-widget #cloop-notice').count()).resolves.toBe(1);
    await expect(dialog().getAttribute('aria-describedby')).resolves.toBe('cloop-notice');
    const log = page.locator('cloop-widget .log');
    await expect(log.getAttribute('role')).resolves.toBe('log');
    await expect(log.getAttribute('aria-live')).resolves.toBe('polite');
    await expect(log.getAttribute('aria-label')).resolves.toBe('Conversation');
    await expect(page.locator('cloop-widget label[for=cloop-input]').textContent()).resolves.toBe('Your question');
    for (const button of await page.locator('cloop-widget button').all()) {
      expect(((await button.getAttribute('aria-label')) ?? (await button.textContent()))?.trim(), 'every button has a name').toBeTruthy();
    }
    await input().fill('Streaming?');
    await input().press('Enter');
    // While streaming: the text is hidden from assistive technology; only "writing…" is announced.
    await page.locator('cloop-widget .bubble[aria-hidden=true] strong').waitFor();
    await expect(page.locator('cloop-widget .msg.bot .vh').last().textContent()).resolves.toBe('The assistant is writing…');
    release();
    // Done: the finished answer replaces it, visible to assistive technology.
    await page.locator('cloop-widget .src').waitFor();
    await expect(page.locator('cloop-widget .bubble[aria-hidden]').count()).resolves.toBe(0);
    await expect(page.locator('cloop-widget .msg.bot .vh').last().textContent()).resolves.toBe('Assistant: ');
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`has no serious or critical axe violations (${colorScheme})`, async () => {
      await visit({ colorScheme });
      await launcher().click();
      await ask('Accessibility?');
      await page.evaluate(axeSource);
      const violations = await page.evaluate(async () => {
        const axe = (window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: { id: string; impact: string; nodes: { target: unknown }[] }[] }> } }).axe;
        const result = await axe.run({ include: [['cloop-widget']] }, { resultTypes: ['violations'] });
        return result.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => JSON.stringify(n.target)) }));
      });
      expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
      await screenshot(page, `widget-desktop-${colorScheme}`);
    });
  }

  it('fills a 375×667 phone screen, keeps the input in view and keeps Tab inside', async () => {
    await visit({ viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true });
    await launcher().click();
    await ask('Phone?');
    const box = await dialog().boundingBox();
    expect(box).toEqual({ x: 0, y: 0, width: 375, height: 667 });
    const inputBox = (await input().boundingBox())!;
    expect(inputBox.y + inputBox.height).toBeLessThanOrEqual(667);
    await expect(page.evaluate(() => getComputedStyle(document.querySelector('cloop-widget')!.shadowRoot!.querySelector('.input')!).fontSize)).resolves.toBe('16px');
    // Full screen: Tab from the last control wraps to the first.
    await input().focus();
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press('Tab');
      expect(await focused(), 'focus stays in the panel').not.toBe('');
      expect(await focused()).not.toBe('l');
    }
    await screenshot(page, 'widget-mobile-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'widget-mobile-dark');
  });

  it('follows the visual viewport when the on-screen keyboard shrinks it', async () => {
    await visit({ viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true });
    await launcher().click();
    await dialog().waitFor();
    // Chromium cannot open a keyboard headless: shrink the visual viewport the way one does.
    await page.evaluate(() => {
      const vv = window.visualViewport!;
      Object.defineProperty(vv, 'height', { value: 400, configurable: true });
      vv.dispatchEvent(new Event('resize'));
    });
    await expect.poll(async () => (await dialog().boundingBox())?.height).toBe(400);
    const inputBox = (await input().boundingBox())!;
    expect(inputBox.y + inputBox.height).toBeLessThanOrEqual(400);
  });

  it('uses the dark colour scheme and the site colour', async () => {
    await visit({ colorScheme: 'dark' });
    await launcher().click();
    await dialog().waitFor();
    const colors = await page.evaluate(() => {
      const root = document.querySelector('cloop-widget')!.shadowRoot!;
      const css = (selector: string) => getComputedStyle(root.querySelector(selector)!);
      return { panel: css('.panel').backgroundColor, text: css('.panel').color, head: css('.head').backgroundColor, launcher: css('.l').backgroundColor };
    });
    expect(colors).toEqual({ panel: 'rgb(22, 24, 29)', text: 'rgb(232, 234, 237)', head: 'rgb(15, 118, 110)', launcher: 'rgb(15, 118, 110)' });
    await page.emulateMedia({ colorScheme: 'light' });
    await expect(page.evaluate(() => getComputedStyle(document.querySelector('cloop-widget')!.shadowRoot!.querySelector('.panel')!).backgroundColor)).resolves.toBe('rgb(255, 255, 255)');
  });

  it('respects prefers-reduced-motion', async () => {
    const motion = () =>
      page.evaluate(() => {
        const root = document.querySelector('cloop-widget')!.shadowRoot!;
        return { panel: getComputedStyle(root.querySelector('.panel')!).animationName, scroll: getComputedStyle(root.querySelector('.log')!).scrollBehavior, launcher: getComputedStyle(root.querySelector('.l')!).transitionDuration };
      });
    await visit({ reducedMotion: 'reduce' });
    await launcher().click();
    await dialog().waitFor();
    expect(await motion()).toEqual({ panel: 'none', scroll: 'auto', launcher: '0s' });
    await page.emulateMedia({ reducedMotion: 'no-preference' });
    expect(await motion()).toEqual({ panel: 'cloop-in', scroll: 'smooth', launcher: '0.15s' });
  });

  it('continues the conversation after a reload, reopening without stealing focus', async () => {
    await visit();
    await launcher().click();
    await ask('First question');
    await page.locator('cloop-widget .src').waitFor();
    const stored = await page.evaluate((key) => ({ conversation: localStorage.getItem(`cloop:${key}:conversation`), visitor: localStorage.getItem(`cloop:${key}:visitor`), open: sessionStorage.getItem(`cloop:${key}:open`) }), h.cloop.key);
    expect(JSON.parse(stored.conversation!)).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(stored.visitor!)).toMatch(/^[\w-]{43}$/);
    expect(stored.open).toBe('1');

    await page.reload();
    await dialog().waitFor(); // it was open: it opens again by itself
    await page.locator('cloop-widget .msg.me').getByText('First question').waitFor();
    await expect(page.locator('cloop-widget .msg.bot .src').count()).resolves.toBe(1);
    expect(await focused()).toBe('');
    expect(h.cloop.requests.some((r) => r.path === `/widget/v1/conversations/${JSON.parse(stored.conversation!)}/messages`)).toBe(true);

    // The next question continues the same conversation.
    await ask('Second question');
    await page.locator('cloop-widget .src').nth(1).waitFor();
    expect(h.cloop.conversations.get(JSON.parse(stored.conversation!))?.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);

    // Closed stays closed across pages; a new conversation starts empty.
    await page.keyboard.press('Escape');
    await page.reload();
    await launcher().waitFor();
    await page.waitForTimeout(300);
    await expect(dialog().count()).resolves.toBe(0); // the chat UI is not even loaded
    await launcher().click();
    await page.locator('cloop-widget .msg.me').first().waitFor();
    await page.locator('cloop-widget .head button').first().click();
    await expect(page.locator('cloop-widget .msg.me').count()).resolves.toBe(0);
    await expect(page.locator('cloop-widget .chip').count()).resolves.toBe(2);
  });

  it('sends a starter question when its button is pressed', async () => {
    await visit();
    await launcher().click();
    await page.locator('cloop-widget .chip').first().click();
    await page.locator('cloop-widget .log').getByText('You asked: What is your return policy?').waitFor();
    await expect(page.locator('cloop-widget .starters').isHidden()).resolves.toBe(true);
  });

  it('asks for an email when the conversation wants contact, and sends the lead', async () => {
    h.cloop.answer = () => ({ tokens: ['Sure, the team can call you.'], askEmail: true });
    await visit();
    await launcher().click();
    await input().fill('Can someone call me?');
    await input().press('Enter');
    const form = page.locator('cloop-widget form.lead');
    await form.waitFor();
    await expect(form.locator('label').textContent()).resolves.toBe('Email address');
    await form.locator('input').fill('not an email');
    await form.locator('button[type=submit]').click();
    await expect(form.locator('.bad').textContent()).resolves.toBe('Please enter a valid email address.');
    await expect(form.locator('input').getAttribute('aria-invalid')).resolves.toBe('true');
    await form.locator('input').fill('visitor@example.com');
    await form.locator('input').press('Enter');
    await page.locator('cloop-widget .note').getByText('Thanks!').waitFor();
    expect(h.cloop.leads).toEqual([{ conversationId: expect.stringMatching(/^[0-9a-f-]{36}$/), email: 'visitor@example.com' }]);
  });

  it('offers the email form when the content had no answer, unless email capture is off', async () => {
    h.cloop.answer = () => ({ tokens: ['I could not find that on this h.site.'], answered: false });
    await visit();
    await launcher().click();
    await input().fill('Do you sell boats?');
    await input().press('Enter');
    await page.locator('cloop-widget form.lead').waitFor();
    await page.locator('cloop-widget form.lead .link').click(); // "No thanks"
    await expect(page.locator('cloop-widget form.lead').count()).resolves.toBe(0);
    expect(await focused()).toBe('cloop-input');

    h.cloop.config = { ...defaultConfig(), emailCapture: 'off' };
    await context.close();
    await visit();
    await launcher().click();
    await input().fill('Do you sell boats?');
    await input().press('Enter');
    await page.locator('cloop-widget .msg.bot .bubble').last().getByText('could not find').waitFor();
    await page.waitForTimeout(100);
    await expect(page.locator('cloop-widget form.lead').count()).resolves.toBe(0);
  });

  it('shows friendly messages for errors and keeps a partial answer', async () => {
    h.cloop.answer = () => ({ tokens: ['Half an ans'], error: { code: 'internal', message: 'Something went wrong on our side.' } });
    await visit();
    await launcher().click();
    await input().fill('Break, please');
    await input().press('Enter');
    await page.locator('cloop-widget .err').waitFor();
    await expect(page.locator('cloop-widget .err').textContent()).resolves.toBe('Sorry, something went wrong. Please try again.');
    await expect(page.locator('cloop-widget .msg.bot .bubble').last().textContent()).resolves.toBe('Half an ans');

    h.cloop.answer = () => ({ tokens: [], refuse: { status: 429, code: 'rate_limited' } });
    await input().fill('Again');
    await input().press('Enter');
    await page.locator('cloop-widget .err').nth(1).waitFor();
    await expect(page.locator('cloop-widget .err').nth(1).textContent()).resolves.toBe('Too many questions right now. Please wait a moment and try again.');
    // The input works again afterwards.
    await expect(page.locator('cloop-widget .send').getAttribute('aria-disabled')).resolves.toBe('false');
  });

  it('says plainly when the assistant is unavailable (the API refuses the h.site)', async () => {
    await visit({}, { key: 'ck_not_a_registered_key_000000000000' }, '/unknown-site');
    await launcher().click();
    await page.locator('cloop-widget .err').waitFor();
    await expect(page.locator('cloop-widget .err').textContent()).resolves.toBe('The assistant is not available right now.');
    await expect(page.locator('cloop-widget .notice').isVisible()).resolves.toBe(true);
    // Chromium reports the refused preflight on the console itself; that is the browser, not the widget.
    const cors = errors.filter((e) => e.includes('blocked by CORS policy'));
    expect(cors.length).toBeGreaterThan(0);
    errors.splice(0, errors.length, ...errors.filter((e) => !cors.includes(e)));
  });

  it('gets a new visitor token when the old one is refused, keeping the visitor id', async () => {
    await visit();
    await launcher().click();
    await ask('One');
    const sessions = () => h.cloop.requests.filter((r) => r.path === '/widget/v1/session' && r.method === 'POST').length;
    const before = sessions();
    h.cloop.tokens.clear(); // every issued token is now invalid, as if expired
    await ask('Two');
    expect(sessions()).toBe(before + 1);
    const visitorIds = await page.evaluate((key) => localStorage.getItem(`cloop:${key}:visitor`), h.cloop.key);
    expect(visitorIds).toBeTruthy();
  });

  it.each([
    { lang: 'fi', languages: ['en', 'fi'], expected: { label: 'Avaa chat', input: 'Kysymyksesi' } },
    { lang: 'de-AT', languages: ['en', 'de'], expected: { label: 'Chat öffnen', input: 'Ihre Frage' } },
    { lang: 'fi', languages: ['sv'], expected: { label: 'Öppna chatten', input: 'Din fråga' } },
    { lang: 'xx', languages: ['es', 'fr'], expected: { label: 'Abrir el chat', input: 'Tu pregunta' } },
  ])('speaks $expected.input for <html lang=$lang> on a site in $languages', async ({ lang, languages, expected }) => {
    h.cloop.config = { ...defaultConfig(), languages };
    await visit({ locale: 'en-US' }, { lang });
    await launcher().click();
    await page.locator('cloop-widget .chip').first().waitFor();
    await expect(page.locator('cloop-widget label[for=cloop-input]').textContent()).resolves.toBe(expected.input);
    await expect(dialog().getAttribute('lang')).resolves.toBe(languages.includes(lang.slice(0, 2)) ? lang.slice(0, 2) : languages[0]);
    await page.keyboard.press('Escape');
    await expect(launcher().getAttribute('aria-label')).resolves.toBe(expected.label);
    // The chat request says which language the UI speaks.
    await launcher().click();
    await input().fill('Hei');
    await input().press('Enter');
    await page.locator('cloop-widget .src').waitFor();
  });

  it('sets no cookies and sends the embed key (and the visitor token where needed) in headers', async () => {
    await visit();
    const first = h.cloop.requests.length;
    await launcher().click();
    await ask('Cookies?');
    await page.locator('cloop-widget .src').waitFor();
    expect(await context.cookies()).toEqual([]);
    const api = h.cloop.requests.slice(first).filter((r) => r.url.startsWith('/widget/v1/') && r.method !== 'OPTIONS' && !r.url.startsWith('/widget/v1/app.js'));
    expect(api.map((r) => `${r.method} ${r.path}`).sort()).toEqual(['GET /widget/v1/config', 'POST /widget/v1/chat', 'POST /widget/v1/session']);
    // The key also rides in the URL: preflights (no custom headers) must name the site too.
    for (const r of api) expect(new URL(r.url, h.cloop.origin).searchParams.get('key')).toBe(h.cloop.key);
    for (const r of api) {
      expect(r.headers.cookie).toBeUndefined();
      expect(r.headers['x-cloop-key']).toBe(h.cloop.key);
      expect(r.headers.origin).toBe(h.site.origin);
    }
    expect(api.find((r) => r.path === '/widget/v1/chat')?.headers.authorization).toMatch(/^Bearer vt_/);
  });
});
