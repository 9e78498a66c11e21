// The XSS corpus (../shared/corpora/xss, see its SOURCE.md) and the checks every rendering of it must pass.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './browser.ts';

/** Where the corpus lives, relative to the repository root. */
export const corpusDir = path.resolve(repoRoot, '../shared/corpora/xss');

/** True when the corpus is present (it lives outside the repository). */
export const hasCorpus = existsSync(path.join(corpusDir, 'payloads.jsonl'));

/**
 * Every payload: payloads.jsonl (including the multi-line ones) and payloads.txt, split on '\n' only
 * (some vectors carry raw control bytes that other line splitters would cut), without duplicates.
 */
export function xssPayloads(): string[] {
  const jsonl = readFileSync(path.join(corpusDir, 'payloads.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => (JSON.parse(line) as { payload: string }).payload);
  const txt = readFileSync(path.join(corpusDir, 'payloads.txt'), 'utf8').split('\n');
  if (txt[txt.length - 1] === '') txt.pop();
  return [...new Set([...jsonl, ...txt])];
}

/** Markdown contexts a payload is placed in: as text, as link label and target, in lists, code, autolinks. */
export const markdownContexts: ((payload: string) => string)[] = [
  (p) => p,
  (p) => `**${p}** and *${p}*`,
  (p) => `[${p}](${p})`,
  (p) => `[link](${p}) [link](<${p}>) [t](https://ok.example "${p}")`,
  (p) => `- ${p}\n  1. ${p}`,
  (p) => `\`\`\`\n${p}\n\`\`\`\n\`${p}\``,
  (p) => `<${p}> see ${p} [1][2]`,
];

/** Payloads that call the test page's `__xss()` if anything ever executes them. */
export const tracerPayloads = [
  '<script>__xss()</script>',
  '<img src=x onerror=__xss()>',
  '<svg onload=__xss()></svg>',
  '<iframe srcdoc="<script>parent.__xss()</script>"></iframe>',
  '<a href="javascript:__xss()">click</a>',
  '[click](javascript:__xss())',
  '[click](JaVaScRiPt:__xss())',
  '[click](java\tscript:__xss())',
  '[click](data:text/html,<script>__xss()</script>)',
  '[click](vbscript:__xss())',
  '<javascript:__xss()>',
  '![img](javascript:__xss())',
  '**<img src=x onerror=__xss()>**',
  '`</code><img src=x onerror=__xss()>`',
  '```\n</pre><img src=x onerror=__xss()>\n```',
  '&lt;img src=x onerror=__xss()&gt;',
  '<details open ontoggle=__xss()>',
  '<body onload=__xss()>',
  '<math><mtext><table><mglyph><style><img src=x onerror=__xss()>',
  '<style>@import "javascript:__xss()";</style>',
];

/**
 * Problems with rendered answer content: an element outside the allowed set, an attribute the
 * renderer does not set (any `on*` included), a link to a scheme other than http(s)/mailto.
 * Runs in Node (linkedom) and, stringified, in the browser: it must stay self-contained.
 */
export function renderingProblems(container: Element, allowedElements: string[]): string[] {
  const schemes = ['http:', 'https:', 'mailto:'];
  const attrs: Record<string, string[]> = { a: ['href', 'rel', 'target', 'title'], ol: ['start'] }; // the attributes the renderer sets
  const problems: string[] = [];
  for (const el of Array.from(container.querySelectorAll('*'))) {
    const name = el.localName;
    if (!allowedElements.includes(name)) problems.push(`element <${name}>`);
    for (const attr of Array.from(el.attributes)) {
      if (/^on/i.test(attr.name)) problems.push(`event handler ${attr.name} on <${name}>`);
      else if (!(attrs[name] ?? []).includes(attr.name)) problems.push(`attribute ${attr.name} on <${name}>`);
    }
    if (name === 'a') {
      let scheme = 'invalid';
      try {
        scheme = new URL(el.getAttribute('href') ?? '').protocol;
      } catch {
        // stays invalid
      }
      if (!schemes.includes(scheme)) problems.push(`link scheme ${scheme}`);
      if (el.getAttribute('rel') !== 'noopener noreferrer nofollow ugc' || el.getAttribute('target') !== '_blank') problems.push('link without rel/target');
    }
  }
  return problems;
}
