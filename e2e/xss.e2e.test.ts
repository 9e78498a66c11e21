// Model output and visitor text can never run script in the widget. Every payload of the XSS corpus
// (../shared/corpora/xss) goes through the Markdown renderer in Chromium, and through the whole widget
// as streamed answers, sources, site settings, history and the visitor's own messages. The page is
// instrumented: alert/confirm/prompt/print and `__xss()` count executions, and a MutationObserver
// inspects every element the widget ever inserts, also those replaced a frame later.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { CitedSource } from '../contracts/widget.ts';
import { allowedElements } from '../widget/app/markdown.ts';
import { describeBrowser, repoRoot } from './browser.ts';
import { defaultConfig, hostPage, useWidgetHarness } from './fake-cloop.ts';
import { hasCorpus, markdownContexts, renderingProblems, tracerPayloads, xssPayloads } from './xss-corpus.ts';

if (!hasCorpus && process.env.CI) throw new Error('the XSS corpus ../shared/corpora/xss is missing');
if (!hasCorpus) console.warn('[e2e] XSS corpus tests SKIPPED: ../shared/corpora/xss is missing');

/** Elements the widget's own UI is made of (everything model text can produce is a subset). */
const uiElements = ['div', 'p', 'span', 'button', 'form', 'label', 'input', 'textarea', 'h2', 'i', 'svg', 'path', ...allowedElements];

/** Installed before any page script: counts executions and inspects every insertion, also in shadow roots. */
function instrument(uiAllowed: string[]): void {
  const w = window as unknown as { __hits: number; __inserted: string[] };
  w.__hits = 0;
  w.__inserted = [];
  const hit = () => void w.__hits++;
  Object.assign(window, { alert: hit, confirm: hit, prompt: hit, print: hit, __xss: hit });
  const inspect = (el: Element) => {
    for (const node of [el, ...Array.from(el.querySelectorAll('*'))]) {
      if (!uiAllowed.includes(node.localName)) w.__inserted.push(`<${node.localName}>`);
      for (const attr of Array.from(node.attributes)) if (/^on/i.test(attr.name)) w.__inserted.push(`${attr.name} on <${node.localName}>`);
      const href = node.getAttribute('href');
      if (href !== null && !/^(https?|mailto):/i.test(href)) w.__inserted.push(`href ${href.slice(0, 40)}`);
    }
  };
  const observer = new MutationObserver((records) => {
    for (const r of records) {
      for (const n of Array.from(r.addedNodes)) if (n.nodeType === 1) inspect(n as Element);
      if (r.type === 'attributes' && r.target.nodeType === 1) inspect(r.target as Element);
    }
  });
  const watch = (root: Node) => observer.observe(root, { childList: true, subtree: true, attributes: true });
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function attachShadow(init) {
    const root = attach.call(this, init);
    watch(root);
    return root;
  };
  (window as unknown as { __watch: typeof watch }).__watch = watch;
}

(hasCorpus ? describeBrowser : describe.skip)('XSS payloads', () => {
  const payloads = hasCorpus ? [...xssPayloads(), ...tracerPayloads] : [];
  let context: BrowserContext;
  let page: Page;
  let errors: string[] = [];
  const h = useWidgetHarness();

  async function newPage(): Promise<Page> {
    ({ context, page, errors } = await h.open());
    await page.addInitScript(`(${instrument.toString()})(${JSON.stringify(uiElements)}); window.renderingProblems = ${renderingProblems.toString()};`);
    return page;
  }

  const executions = () => page.evaluate(() => (window as unknown as { __hits: number }).__hits);
  const inserted = () => page.evaluate(() => (window as unknown as { __inserted: string[] }).__inserted.slice(0, 20));

  it('the renderer leaves every payload inert in every Markdown context, at every streaming step (Chromium)', async () => {
    const bundle = await build({
      entryPoints: [path.join(repoRoot, 'widget/app/markdown.ts')],
      bundle: true,
      format: 'iife',
      globalName: 'cloopMarkdown',
      target: 'es2020',
      write: false,
    });
    await newPage();
    await page.goto(h.site.page('/renderer', '<!doctype html><html><body><div id="out"></div></body></html>'));
    await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
    await page.evaluate(() => (window as unknown as { __watch(n: Node): void }).__watch(document.getElementById('out')!));

    const texts = payloads.map((p) => markdownContexts.map((context) => context(p)));
    const result = await page.evaluate(
      async ({ texts, allowed }) => {
        type Md = {
          renderMarkdown(doc: Document, text: string, sources?: CitedSource[]): DocumentFragment;
          markdownView(el: HTMLElement): { update(text: string, sources?: CitedSource[]): void };
        };
        const w = window as unknown as { cloopMarkdown: Md; renderingProblems(el: Element, allowed: string[]): string[] };
        const out = document.getElementById('out')!;
        const problems: string[] = [];
        let seed = 11;
        const nextSize = () => ((seed = (seed * 48271) % 2147483647) % 16) + 1;
        for (const variants of texts) {
          const sources = [{ n: 1, title: variants[0]!, url: variants[0]!.trim(), page: 1 }];
          for (const text of variants) {
            out.replaceChildren(w.cloopMarkdown.renderMarkdown(document, text, sources));
            for (const p of w.renderingProblems(out, allowed)) problems.push(`${JSON.stringify(variants[0]).slice(0, 80)}: ${p}`);
          }
          out.replaceChildren();
          const view = w.cloopMarkdown.markdownView(out);
          const streamed = `${variants[2]}\n\n${variants[4]}\n\n${variants[0]}`;
          for (let i = nextSize(); ; i += nextSize()) {
            view.update(streamed.slice(0, i), i >= streamed.length ? sources : undefined);
            if (i >= streamed.length) break;
          }
          for (const p of w.renderingProblems(out, allowed)) problems.push(`${JSON.stringify(variants[0]).slice(0, 80)} (streamed): ${p}`);
          out.replaceChildren();
        }
        await new Promise((resolve) => setTimeout(resolve, 500)); // let any error/load event fire
        return { problems: problems.slice(0, 20), rendered: texts.length };
      },
      { texts, allowed: allowedElements },
    );
    expect(result.rendered).toBe(payloads.length);
    expect(result.problems).toEqual([]);
    expect(await inserted()).toEqual([]);
    expect(await executions()).toBe(0);
    expect(errors).toEqual([]);
  }, 120_000);
  it('the instrumentation does catch an unsafe insertion (control)', async () => {
    await newPage();
    await page.goto(h.site.page('/control', '<!doctype html><html><body><div id="out"></div></body></html>'));
    await page.evaluate(async () => {
      (window as unknown as { __watch(n: Node): void }).__watch(document.getElementById('out')!);
      document.getElementById('out')!.innerHTML = '<img src="x:" onerror="__xss()"><a href="javascript:void 0">x</a>';
      await new Promise((resolve) => setTimeout(resolve, 300));
    });
    expect(await executions()).toBe(1);
    expect(await inserted()).toEqual(expect.arrayContaining(['<img>', 'onerror on <img>', 'href javascript:void 0']));
  });

  it('the widget renders every payload inert: streamed answers, sources, settings, history, visitor text', async () => {
    const tracers = tracerPayloads.join('\n\n');
    h.cloop.config = { ...defaultConfig(), siteName: '<img src=x onerror=__xss()>', greeting: tracers, starterQuestions: tracerPayloads.slice(0, 6) };
    const batches: string[][] = [];
    for (let i = 0; i < payloads.length; i += 500) batches.push(payloads.slice(i, i + 500));
    let turn = 0;
    let seed = 5;
    const nextSize = () => ((seed = (seed * 48271) % 2147483647) % 16) + 1;
    h.cloop.answer = () => {
      const batch = batches[turn++ % batches.length]!;
      const text = batch.map((p, i) => markdownContexts[i % markdownContexts.length]!(p)).join('\n\n');
      const tokens: string[] = [];
      for (let i = 0; i < text.length; ) {
        const size = nextSize();
        tokens.push(text.slice(i, i + size));
        i += size;
      }
      const sources: CitedSource[] = batch.slice(0, 12).map((p, i) => ({ n: i + 1, title: p, url: i % 2 ? p : `javascript:__xss(${i})`, page: i }));
      return { tokens, sources, tokenDelayMs: 0 };
    };

    await newPage();
    await page.goto(h.site.page('/xss', hostPage(h.cloop)));
    await page.locator('cloop-widget .l').click();
    const input = page.locator('cloop-widget #cloop-input');
    for (let i = 0; i < batches.length; i++) {
      await input.fill(tracerPayloads[i % tracerPayloads.length]!); // the visitor's own text
      await input.press('Enter');
      await page.locator('cloop-widget .msg.bot .src').nth(i).waitFor({ timeout: 60_000 });
    }
    // The same conversation again, from history, after a reload.
    await page.reload();
    await page.locator('cloop-widget .msg.bot .src').nth(batches.length - 1).waitFor({ timeout: 60_000 });
    await page.waitForTimeout(500); // let any error/load event fire

    const found = await page.evaluate(
      ({ allowed }) => {
        const root = document.querySelector('cloop-widget')!.shadowRoot!;
        const check = (window as unknown as { renderingProblems(el: Element, allowed: string[]): string[] }).renderingProblems;
        const problems: string[] = [];
        for (const bubble of Array.from(root.querySelectorAll('.bubble'))) problems.push(...check(bubble, allowed));
        for (const el of Array.from(root.querySelectorAll('*'))) {
          for (const attr of Array.from(el.attributes)) if (/^on/i.test(attr.name)) problems.push(`${attr.name} on <${el.localName}>`);
        }
        for (const a of Array.from(root.querySelectorAll('[href]'))) if (!/^(https?|mailto):/.test(a.getAttribute('href')!)) problems.push(`href ${a.getAttribute('href')}`);
        return {
          problems: problems.slice(0, 20),
          bubbles: root.querySelectorAll('.bubble').length,
          pageScripts: document.scripts.length,
          pageElements: Array.from(document.body.querySelectorAll('img,iframe,object,embed,svg,style,link,meta')).length,
        };
      },
      { allowed: allowedElements },
    );
    expect(found.problems).toEqual([]);
    expect(found.bubbles).toBe(1 + batches.length); // the greeting and one answer per turn
    expect(found.pageScripts).toBe(1); // the loader itself
    expect(found.pageElements).toBe(0);
    expect(await inserted()).toEqual([]);
    expect(await executions()).toBe(0);
    expect(errors).toEqual([]);
  }, 180_000);
});
