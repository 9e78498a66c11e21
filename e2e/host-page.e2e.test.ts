// The widget and the page it lives in leave each other alone: hostile page CSS cannot break the
// widget, strict Content-Security-Policies still let it run, and the widget changes nothing of the
// page (styles, DOM, keyboard shortcuts, globals).
import type { BrowserContext, Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { describeBrowser, screenshot } from './browser.ts';
import { defaultConfig, hostPage, useWidgetHarness } from './fake-cloop.ts';

describeBrowser('widget on a host page', () => {
  let context: BrowserContext;
  let page: Page;
  let errors: string[] = [];
  const h = useWidgetHarness();

  async function open(path: string, html: string, headers: Record<string, string> = {}, viewport = { width: 1280, height: 800 }): Promise<Page> {
    ({ context, page, errors } = await h.open({ viewport }));
    await page.addInitScript(() => {
      const w = window as unknown as { __csp: string[] };
      w.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    await page.goto(h.site.page(path, html, headers));
    return page;
  }

  /** Opens the chat, asks, and waits for the cited answer: the whole widget works. */
  async function chat(question = 'Does it work?'): Promise<void> {
    await page.locator('cloop-widget .l').click();
    await page.locator('cloop-widget #cloop-input').fill(question);
    await page.locator('cloop-widget #cloop-input').press('Enter');
    await page.locator('cloop-widget .src').waitFor();
  }

  const box = (selector: string) => page.locator(`cloop-widget ${selector}`).boundingBox();

  it('is not broken by hostile page CSS', async () => {
    const hostile = `<style>
      * { all: unset !important; display: block }
      cloop-widget, cloop-widget * { display: none !important; position: static !important; transform: scale(0.2) !important; opacity: 0 !important }
      button, textarea, div, p { font-size: 40px !important; color: red !important; background: yellow !important; width: 3px !important; line-height: 0 !important }
      svg { display: none !important } :host { display: none !important }
    </style>`;
    await open('/hostile', hostPage(h.cloop, { head: hostile }));
    await page.locator('cloop-widget .l').waitFor();
    expect(await box('.l')).toEqual({ x: 1280 - 20 - 56, y: 800 - 20 - 56, width: 56, height: 56 });
    await chat();
    expect(await box('.panel')).toEqual({ x: 1280 - 20 - 400, y: 800 - 88 - 640, width: 400, height: 640 });
    const styles = await page.evaluate(() => {
      const root = document.querySelector('cloop-widget')!.shadowRoot!;
      const input = getComputedStyle(root.querySelector('.input')!);
      const bubble = getComputedStyle(root.querySelector('.bubble')!);
      return { inputFont: input.fontSize, inputVisible: input.display, bubbleFont: bubble.fontSize, bubbleColor: bubble.color };
    });
    expect(styles).toEqual({ inputFont: '16px', inputVisible: 'block', bubbleFont: '15px', bubbleColor: 'rgb(31, 35, 40)' });
    await screenshot(page, 'widget-hostile-css');
    expect(errors).toEqual([]);
  });

  it.each([
    { name: 'a host allow-list without unsafe-inline', csp: (o: string) => `default-src 'self'; script-src ${o}; style-src 'self'; connect-src ${o}; img-src 'self'`, nonce: '' },
    { name: "a nonce with 'strict-dynamic'", csp: (o: string) => `default-src 'none'; script-src 'nonce-r4nd0m' 'strict-dynamic'; style-src 'none'; connect-src ${o}`, nonce: 'r4nd0m' },
    {
      name: 'Trusted Types enforced',
      csp: (o: string) => `default-src 'self'; script-src ${o}; connect-src ${o}; require-trusted-types-for 'script'; trusted-types cloop-widget`,
      nonce: '',
    },
  ])('runs under a strict CSP: $name', async ({ csp, nonce }) => {
    let html = hostPage(h.cloop, { body: '<script>window.inlineRan = true</script>' });
    if (nonce) html = html.replace('<script src=', `<script nonce="${nonce}" src=`);
    await open(`/csp-${nonce || csp.length}`, html, { 'content-security-policy': csp(h.cloop.origin) });
    await chat();
    // The page's own inline script was blocked (the policy is really on); the widget caused no violation.
    expect(await page.evaluate(() => (window as unknown as { inlineRan?: boolean }).inlineRan)).toBeUndefined();
    const violations = await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
    expect(violations.filter((v) => !v.endsWith(' inline'))).toEqual([]);
    expect(await page.evaluate(() => getComputedStyle(document.querySelector('cloop-widget')!.shadowRoot!.querySelector('.panel')!).position)).toBe('fixed');
  });

  it('changes nothing of the host page: DOM, styles, keyboard shortcuts', async () => {
    await open('/quiet', hostPage(h.cloop));
    await page.evaluate(() => {
      const w = window as unknown as { hostKeys: number };
      w.hostKeys = 0;
      document.addEventListener('keydown', () => w.hostKeys++);
    });
    const snapshot = () =>
      page.evaluate(() => {
        const clone = document.documentElement.cloneNode(true) as HTMLElement;
        clone.querySelector('cloop-widget')?.remove();
        const style = (el: Element) => {
          const s = getComputedStyle(el);
          return [s.fontFamily, s.fontSize, s.color, s.backgroundColor, s.margin, s.overflow, s.position].join('|');
        };
        return {
          html: clone.outerHTML,
          styles: ['html', 'body', 'h1', 'p', 'button', 'a'].map((sel) => style(document.querySelector(sel)!)),
          sheets: document.styleSheets.length + document.adoptedStyleSheets.length,
          scrollY: window.scrollY,
        };
      });
    await page.locator('cloop-widget .l').waitFor();
    const before = await snapshot();
    await chat('Keys typed here are not shortcuts');
    await page.keyboard.press('Escape');
    expect(await snapshot()).toEqual(before);
    expect(await page.evaluate(() => (window as unknown as { hostKeys: number }).hostKeys)).toBe(0);
    await page.locator('#host-button').focus();
    await page.keyboard.press('x');
    expect(await page.evaluate(() => (window as unknown as { hostKeys: number }).hostKeys)).toBe(1);
    expect(errors).toEqual([]);
  });

  it('draws the launcher on the site’s side and colour from the cached settings on the next page', async () => {
    h.cloop.config = { ...defaultConfig(), position: 'bottom-left', colors: { primary: '#7c3aed', text: '#ffffff' } };
    await open('/left', hostPage(h.cloop));
    await chat();
    await page.reload();
    await page.locator('cloop-widget .l').waitFor();
    expect((await box('.l'))?.x).toBe(20);
    expect(await page.evaluate(() => getComputedStyle(document.querySelector('cloop-widget')!.shadowRoot!.querySelector('.l')!).backgroundColor)).toBe('rgb(124, 58, 237)');
    expect((await box('.panel'))?.x).toBe(20); // it was open: it is open again, on the left
  });

  it('ignores a script tag without a site key, and a second copy of the loader', async () => {
    const noKey = hostPage(h.cloop).replace(/ data-site="[^"]*"/, '');
    await open('/nokey', noKey);
    await page.waitForTimeout(500);
    expect(await page.locator('cloop-widget').count()).toBe(0);
    expect(errors).toEqual([]);

    await context.close();
    const twice = hostPage(h.cloop, { body: `<script src="${h.cloop.origin}/widget.js" data-site="${h.cloop.key}" async></script>` });
    await open('/twice', twice);
    await page.locator('cloop-widget .l').waitFor();
    await page.waitForTimeout(300);
    expect(await page.locator('cloop-widget').count()).toBe(1);
    expect(errors).toEqual([]);
  });

  it('works when the loader is in <head>, before the body exists', async () => {
    const inHead = hostPage(h.cloop, { head: `<script src="${h.cloop.origin}/widget.js" data-site="${h.cloop.key}" async></script>` }).replace(/<script src="[^"]*" data-site="[^"]*" async><\/script>\n<\/body>/, '</body>');
    await open('/head', inHead);
    await chat();
    expect(await page.locator('cloop-widget').count()).toBe(1);
    expect(errors).toEqual([]);
  });
});
