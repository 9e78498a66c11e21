import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';
import type { CitedSource } from '../../contracts/widget.ts';
import { hasCorpus, markdownContexts, renderingProblems, tracerPayloads, xssPayloads } from '../../e2e/xss-corpus.ts';
import { allowedElements, markdownView, renderMarkdown, safeUrl } from './markdown.ts';

// linkedom is enough here: the renderer only calls createElement/createTextNode/setAttribute, and these
// tests read back the tree it built. e2e/xss.e2e.test.ts runs the same corpus in Chromium, where
// anything that executed would be caught.
const { document } = parseHTML('<!doctype html><html><body></body></html>');
const doc = document as unknown as Document;

const sources: CitedSource[] = [
  { n: 1, title: 'Returns', url: 'https://acme.example/returns', page: null },
  { n: 2, title: 'Bad', url: 'javascript:alert(1)', page: null },
];

function html(markdown: string, cites: CitedSource[] = sources): string {
  const div = doc.createElement('div');
  div.appendChild(renderMarkdown(doc, markdown, cites));
  return div.innerHTML;
}

const a = (href: string, text: string) => `<a href="${href}" rel="noopener noreferrer nofollow ugc" target="_blank">${text}</a>`;
const normalize = (s: string) => s.replace(/<a ([^>]*)>/g, (_m, attrs: string) => `<a ${attrs.split(/ (?=\w+=")/).sort().join(' ')}>`);

describe('renderMarkdown', () => {
  it.each([
    ['plain text', 'Hello', '<p>Hello</p>'],
    ['paragraphs and line breaks', 'one\ntwo\n\nthree', '<p>one<br>two</p><p>three</p>'],
    ['bold, em, code', '**b** *e* _e_ `<b>c</b>`', '<p><strong>b</strong> <em>e</em> <em>e</em> <code>&lt;b&gt;c&lt;/b&gt;</code></p>'],
    ['intraword underscores stay', 'snake_case_name and 2 * 3 * 4', '<p>snake_case_name and 2 * 3 * 4</p>'],
    ['fenced code', '```js\nif (a < b) {}\n```', '<pre><code>if (a &lt; b) {}</code></pre>'],
    ['unclosed fence while streaming', '```\nline', '<pre><code>line</code></pre>'],
    ['bullet list', '- a\n- **b**', '<ul><li>a</li><li><strong>b</strong></li></ul>'],
    ['ordered list with start', '3. c\n4. d', '<ol start="3"><li>c</li><li>d</li></ol>'],
    ['nested list', '1. a\n   - b\n2. c', '<ol><li>a<ul><li>b</li></ul></li><li>c</li></ol>'],
    ['heading as a bold paragraph', '## Shipping', '<p><strong>Shipping</strong></p>'],
    ['link', '[Returns](https://acme.example/r)', `<p>${a('https://acme.example/r', 'Returns')}</p>`],
    ['link with parentheses and title', '[W](https://en.wikipedia.org/wiki/A_(b) "t")', `<p>${a('https://en.wikipedia.org/wiki/A_(b)', 'W')}</p>`],
    ['mailto link', '[mail us](mailto:help@acme.example)', `<p>${a('mailto:help@acme.example', 'mail us')}</p>`],
    ['bare URL without trailing punctuation', 'See https://acme.example/a?b=1.', `<p>See ${a('https://acme.example/a?b=1', 'https://acme.example/a?b=1')}.</p>`],
    ['autolink', '<https://acme.example>', `<p>${a('https://acme.example/', 'https://acme.example')}</p>`],
    ['citation linked to its source', 'Free [1].', `<p>Free <sup><a href="https://acme.example/returns" rel="noopener noreferrer nofollow ugc" target="_blank" title="Returns">[1]</a></sup>.</p>`],
    ['citation of an unsafe or unknown source stays text', '[2][3]', '<p><sup>[2]</sup><sup>[3]</sup></p>'],
    ['javascript: link is shown as text', '[x](javascript:alert(1))', '<p>[x](javascript:alert(1))</p>'],
    ['relative link is shown as text', '[x](/pricing)', '<p>[x](/pricing)</p>'],
    ['HTML is text', '<img src=x onerror=alert(1)>', '<p>&lt;img src=x onerror=alert(1)&gt;</p>'],
    ['escapes', '\\*not em\\*', '<p>*not em*</p>'],
  ])('%s', (_name, markdown, expected) => {
    expect(normalize(html(markdown))).toBe(normalize(expected));
  });

  it.each([
    ['https://a.example/x', 'https://a.example/x'],
    ['HTTP://A.EXAMPLE', 'http://a.example/'],
    ['mailto:a@b.example', 'mailto:a@b.example'],
    ['javascript:alert(1)', null],
    [' javascript:alert(1)', null],
    ['java\tscript:alert(1)', null],
    ['JAVASCRIPT:alert(1)', null],
    ['data:text/html,<script>alert(1)</script>', null],
    ['vbscript:msgbox(1)', null],
    ['file:///etc/passwd', null],
    ['//evil.example', null],
    ['/relative', null],
  ])('safeUrl(%j) = %j', (raw, expected) => {
    expect(safeUrl(raw)).toBe(expected);
  });
});

describe('markdownView (streaming)', () => {
  it('keeps the nodes of finished blocks and rebuilds only the one still streaming', () => {
    const el = doc.createElement('div') as unknown as HTMLElement;
    const view = markdownView(el);
    view.update('First paragraph.\n\nSecond');
    const first = el.firstChild;
    view.update('First paragraph.\n\nSecond paragraph');
    expect(el.firstChild).toBe(first);
    expect(el.innerHTML).toBe('<p>First paragraph.</p><p>Second paragraph</p>');
    view.update('First paragraph.\n\nSecond paragraph\n\n- a');
    expect(el.innerHTML).toBe('<p>First paragraph.</p><p>Second paragraph</p><ul><li>a</li></ul>');
  });

  it('ends up exactly as a one-shot render, whatever the token boundaries', () => {
    const text = '**Bold** start [1]\n\n```\ncode <b>\n```\n\n1. one [link](https://a.example)\n2. two\n\nhttps://b.example/x).';
    for (const size of [1, 2, 3, 5, 8]) {
      const el = doc.createElement('div') as unknown as HTMLElement;
      const view = markdownView(el);
      for (let i = size; i < text.length + size; i += size) view.update(text.slice(0, i), sources);
      expect(el.innerHTML).toBe(html(text));
    }
  });
});

describe.skipIf(!hasCorpus)('XSS corpus (../shared/corpora/xss)', () => {
  const payloads = hasCorpus ? [...xssPayloads(), ...tracerPayloads] : [];

  it('holds thousands of payloads', () => {
    expect(payloads.length).toBeGreaterThan(2400);
  });

  it('renders every payload, in every Markdown context, as inert elements and text only', () => {
    const failures: string[] = [];
    for (const payload of payloads) {
      const cites: CitedSource[] = [{ n: 1, title: payload, url: payload, page: null }, { n: 2, title: 'x', url: payload.trim(), page: 2 }];
      for (const context of markdownContexts) {
        const container = doc.createElement('div');
        container.appendChild(renderMarkdown(doc, context(payload), cites));
        const problems = renderingProblems(container as unknown as Element, allowedElements);
        if (problems.length) failures.push(`${JSON.stringify(payload)}: ${problems.join(', ')}`);
      }
    }
    expect(failures.slice(0, 10)).toEqual([]);
  }, 120_000);

  it('stays inert at every step while streaming', () => {
    const failures: string[] = [];
    let seed = 7;
    const nextSize = () => ((seed = (seed * 48271) % 2147483647) % 16) + 1; // 1–16 characters, like model tokens
    for (const payload of payloads) {
      const text = markdownContexts[2]!(payload) + '\n\n' + markdownContexts[4]!(payload);
      const container = doc.createElement('div') as unknown as HTMLElement;
      const view = markdownView(container);
      for (let i = nextSize(); ; i += nextSize()) {
        view.update(text.slice(0, i));
        const problems = renderingProblems(container, allowedElements);
        if (problems.length) failures.push(`${JSON.stringify(payload)} at ${i}: ${problems.join(', ')}`);
        if (i >= text.length) break;
      }
    }
    expect(failures.slice(0, 10)).toEqual([]);
  }, 120_000);
});
