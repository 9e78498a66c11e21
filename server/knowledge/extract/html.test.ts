import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { closeExtractionWorkers, extract, type ExtractedDocument } from './extract.ts';

const siteDir = '/work/shared/corpora/site';
const origin = 'http://localhost:8080';
const allText = (d: ExtractedDocument) => d.sections.map((s) => s.text).join('\n\n');
const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

afterAll(closeExtractionWorkers);

interface SitePage {
  url: string;
  type: string;
  title: string;
}

/** Ten articles of the help center, picked evenly from the URL-sorted list. */
function samplePages(): SitePage[] {
  const pages = readFileSync(`${siteDir}/pages.jsonl`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as SitePage)
    .filter((p) => p.type === 'article')
    .sort((a, b) => a.url.localeCompare(b.url));
  const step = Math.floor(pages.length / 10);
  return Array.from({ length: 10 }, (_, i) => pages[i * step]!);
}

const pageHtml = (url: string) => readFileSync(`${siteDir}/html${url}index.html`);
/** The first paragraph of the page's <article>, as plain text. */
function firstParagraph(html: string): string {
  const article = html.slice(html.indexOf('<article>'));
  const p = /<p>([\s\S]*?)<\/p>/.exec(article)?.[1] ?? '';
  return squash(p.replace(/<[^>]+>/g, '').replace(/&amp;/g, '&').replace(/&#x27;|&#39;/g, "'").replace(/&quot;/g, '"').replace(/&rsquo;/g, '’'));
}

describe('pages of a real help center', () => {
  it.each(samplePages())('$url', async (page) => {
    const html = pageHtml(page.url);
    const d = await extract('html', html, { url: `${origin}${page.url}` });
    expect(d.title).toBe(page.title);
    expect(d.language).toBe('en');
    expect(d.sections.length).toBeGreaterThan(0);
    const text = allText(d);
    expect(squash(text)).toContain(firstParagraph(html.toString()).slice(0, 80));
    // Navigation links are found (crawlers need them) …
    expect(d.links).toContain(`${origin}/company/`);
    expect(d.links).toContain(`${origin}/privacy-pro/`);
    expect(d.links!.every((l) => /^https?:\/\//.test(l) && !l.includes('#'))).toBe(true);
    // … but the header, sidebar, breadcrumb and footer are not content.
    expect(text).not.toContain('Rendered for local testing');
    expect(text).not.toContain('Home ›');
    expect(text).not.toMatch(/About DuckDuckGo\s+(- )?How To Get DuckDuckGo/);
    expect(text).not.toMatch(/Misconceptions\s+(- )?Legal\s+(- )?Privacy Guides/);
  });

  it.each([
    ['/get-duckduckgo/browser/', 'Learn how to download the DuckDuckGo browser on desktop and mobile.'],
    ['/change-default-search-engine/', 'Learn how to make DuckDuckGo your default search engine in popular browsers.'],
  ])('a short page %s keeps its own text (Readability alone picks the footer)', async (url, first) => {
    const d = await extract('html', pageHtml(url), { url: `${origin}${url}` });
    expect(allText(d)).toContain(first);
    expect(allText(d)).not.toContain('Rendered for local testing');
  });

  it('a redirect stub reports its meta refresh target and canonical URL', async () => {
    const d = await extract('html', pageHtml('/company/history/'), { url: `${origin}/company/history/` });
    expect(d.metaRefresh).toBe('https://duckduckgo.com/about');
    expect(d.canonicalUrl).toBe('https://duckduckgo.com/about');
  });

  it('a long article is split at its headings', async () => {
    const d = await extract('html', pageHtml('/privacy/web-tracking-protections/'), { url: `${origin}/privacy/web-tracking-protections/` });
    expect(d.sections.map((s) => s.headingPath.join(' > '))).toEqual(expect.arrayContaining(['3rd-Party Cookie Protection', 'Google-Specific Web Tracking Protections > Google AMP Protection']));
  });
});

const paragraph = (n: number) => `<p>Paragraph ${n} explains the refund policy in plain words, so that a visitor can find out how returns work, what they cost and how long they take to arrive.</p>`;
const handMade = `<!DOCTYPE html><html lang="fi"><head>
<title>Returns | Shop</title><meta property="og:title" content="Returns and refunds">
<base href="/help/"><link rel="canonical" href="returns"><meta name="robots" content="noindex, follow">
</head><body>
<nav><a href="/">Home</a> <a href="faq#top">FAQ</a> <a href="mailto:a@b.c">Mail</a> <a href="javascript:void(0)">JS</a> <a href="https://other.example/x?y=1#z">Other</a></nav>
<main><article><h1>Returns and refunds</h1>${paragraph(1)}${paragraph(2)}
<h2>Shipping back</h2>${paragraph(3)}<ul><li>Pack the item</li><li>Print the label</li></ul>
<h3>Costs</h3><table><tr><th>Country</th><th>Cost</th></tr><tr><td>Finland</td><td>Free</td></tr></table>${paragraph(4)}
<h2>Refunds</h2>${paragraph(5)}<ol><li>We check the item</li><li>We refund</li></ol></article></main>
<aside>Related: our newsletter sign-up</aside><footer>© Shop Ltd, all rights reserved</footer>
</body></html>`;

describe('a hand-made page', () => {
  it('gives metadata, absolute links, heading paths, lists and tables', async () => {
    const d = await extract('html', Buffer.from(handMade), { url: 'https://shop.example/help/returns?ref=1' });
    expect(d).toMatchObject({ title: 'Returns and refunds', language: 'fi', canonicalUrl: 'https://shop.example/help/returns', noindex: true });
    expect(d.links).toEqual(['https://shop.example/', 'https://shop.example/help/faq', 'https://other.example/x?y=1']);
    const byPath = Object.fromEntries(d.sections.map((s) => [s.headingPath.join(' > '), s.text]));
    expect(byPath['Shipping back']).toContain('- Pack the item\n- Print the label');
    expect(byPath['Shipping back > Costs']).toContain('Country | Cost\nFinland | Free');
    expect(byPath['Refunds']).toContain('1. We check the item\n2. We refund');
    expect(allText(d)).not.toMatch(/newsletter|rights reserved|Mail/);
  });
});

/** Hostile pages: each finishes or fails cleanly, well within the deadline. */
const hostile: Array<[string, () => string]> = [
  ['100k nested divs', () => `<html><body>${'<div>'.repeat(100_000)}deep${'</div>'.repeat(100_000)}</body></html>`],
  ['100k unclosed nested elements', () => `<html><body>${'<div><span>'.repeat(100_000)}deep`],
  ['5 MB of attributes on one element', () => `<html><body><div ${Array.from({ length: 110_000 }, (_, i) => `data-a${i}="${'x'.repeat(40)}"`).join(' ')}>attrs</div></body></html>`],
  ['a 5 MB class attribute', () => `<html><body><div class="${'a '.repeat(2_500_000)}">big</div></body></html>`],
  ['5,000 nested tables', () => `<html><body>${'<table><tr><td>'.repeat(5_000)}cell${'</td></tr></table>'.repeat(5_000)}</body></html>`],
  ['50,000 links', () => `<html><body>${Array.from({ length: 50_000 }, (_, i) => `<a href="/p${i}">p${i}</a> `).join('')}</body></html>`],
];

describe('hostile HTML', () => {
  it.each(hostile)('%s', async (_name, build) => {
    const timeMs = 10_000;
    const started = performance.now();
    const outcome = await extract('html', Buffer.from(build()), { url: 'https://example.com/', limits: { timeMs } }).then(
      (d) => ({ ok: true as const, links: d.links?.length ?? 0 }),
      (err: { code?: string }) => ({ ok: false as const, code: err.code }),
    );
    const ms = Math.round(performance.now() - started);
    console.log(`hostile ${_name}: ${ms} ms`, outcome);
    if (!outcome.ok) expect(['file_unreadable', 'extraction_timeout', 'text_too_long']).toContain(outcome.code);
    else expect(outcome.links).toBeLessThanOrEqual(10_000);
    expect(ms).toBeLessThan(timeMs + 2_000);
  });
});
