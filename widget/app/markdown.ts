// A small Markdown subset for answers: paragraphs, **bold**, *em*, `code`, ``` blocks, - / 1. lists,
// [text](url) links, bare http(s) URLs and citation markers [1]. It builds elements one by one and
// puts every piece of text in a text node: model output is never parsed as HTML, so a `<script>` in an
// answer is just the characters `<script>`. Links only to http:, https: and mailto:.
import type { CitedSource } from '../../contracts/widget.ts';
import { parseBlocks, type Block } from './markdown-blocks.ts';

/** The only elements the renderer ever creates. */
export const allowedElements = ['p', 'br', 'strong', 'em', 'code', 'pre', 'ul', 'ol', 'li', 'a', 'sup'];

/** The only URL schemes a rendered link may have. */
export const allowedSchemes = ['http:', 'https:', 'mailto:'];

/** `rel` of every link: no `window.opener`, no referrer, no SEO credit for model-written links. */
export const linkRel = 'noopener noreferrer nofollow ugc';

/**
 * The URL to link to, normalized by the URL parser (so what is checked is what the browser follows),
 * or null when it is not an absolute http(s)/mailto URL.
 */
export function safeUrl(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  return allowedSchemes.includes(url.protocol) ? url.href : null;
}

type Cites = ReadonlyMap<number, CitedSource>;

/** An `<a>` to an already vetted URL. */
export function linkTo(doc: Document, href: string): HTMLAnchorElement {
  const a = doc.createElement('a');
  a.setAttribute('href', href);
  a.setAttribute('rel', linkRel);
  a.setAttribute('target', '_blank');
  return a;
}

/** `[label](url "title")` starting at `at` (a `[`), or null. Bounded scans keep the worst case linear. */
function matchLink(s: string, at: number): { label: string; url: string; end: number } | null {
  let depth = 0;
  let i = at;
  const labelLimit = Math.min(s.length, at + 1000);
  for (; i < labelLimit; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (c === '[') depth++;
    else if (c === ']' && --depth === 0) break;
  }
  if (depth !== 0 || s[i + 1] !== '(') return null;
  const m = /^\(\s*(?:<([^<>\n]*)>|((?:[^\s()]|\([^\s()]*\))*))(?:\s+(?:"[^"\n]*"|'[^'\n]*'))?\s*\)/.exec(s.slice(i + 1, i + 2200));
  if (!m) return null;
  return { label: s.slice(at + 1, i), url: m[1] ?? m[2] ?? '', end: i + 1 + m[0].length };
}

/** Drops trailing punctuation from a bare URL, and closing brackets it did not open. */
function trimUrl(url: string): string {
  for (;;) {
    const last = url[url.length - 1]!;
    if (/[.,:;!?'"*_]/.test(last)) url = url.slice(0, -1);
    else if (last === ')' && url.split('(').length < url.split(')').length) url = url.slice(0, -1);
    else if (last === ']' && url.split('[').length < url.split(']').length) url = url.slice(0, -1);
    else return url;
  }
}

function citation(doc: Document, parent: Node, n: number, cites: Cites, inLink: boolean): void {
  const sup = doc.createElement('sup');
  const source = cites.get(n);
  const href = source?.url ? safeUrl(source.url) : null;
  let target: Node = sup;
  if (href && !inLink) {
    const a = linkTo(doc, href);
    a.setAttribute('title', source!.title);
    sup.appendChild(a);
    target = a;
  }
  target.appendChild(doc.createTextNode(`[${n}]`));
  parent.appendChild(sup);
}

/** Appends the inline content of `s` to `parent`. */
function inline(doc: Document, parent: Node, s: string, cites: Cites, depth: number, inLink: boolean): void {
  let text = '';
  const flush = () => {
    if (text) parent.appendChild(doc.createTextNode(text));
    text = '';
  };
  const add = (el: HTMLElement) => {
    flush();
    parent.appendChild(el);
  };
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    const rest = () => s.slice(i, i + 2200);
    if (c === '\\' && /[!-/:-@[-`{-~]/.test(s[i + 1] ?? '')) {
      text += s[i + 1];
      i += 2;
      continue;
    }
    if (c === '\n') {
      add(doc.createElement('br'));
      i++;
      continue;
    }
    if (c === '`') {
      const run = /^`+/.exec(s.slice(i, i + 100))![0];
      const close = s.indexOf(run, i + run.length);
      if (close > 0) {
        const code = doc.createElement('code');
        code.appendChild(doc.createTextNode(s.slice(i + run.length, close).replace(/^ (.*) $/s, '$1')));
        add(code);
        i = close + run.length;
      } else {
        text += run;
        i += run.length;
      }
      continue;
    }
    if ((c === '*' || c === '_') && depth < 6) {
      const mark = s[i + 1] === c ? c + c : c;
      const start = i + mark.length;
      const intraword = c === '_' && /\w/.test(s[i - 1] ?? '');
      if (!intraword && /\S/.test(s[start] ?? '')) {
        let close = s.indexOf(mark, start + 1);
        // A single `*` must not close on half of a `**`.
        while (mark.length === 1 && close > 0 && s[close + 1] === c) close = s.indexOf(mark, close + 2);
        if (close > start && /\S/.test(s[close - 1]!) && !(c === '_' && /\w/.test(s[close + mark.length] ?? ''))) {
          const el = doc.createElement(mark.length === 2 ? 'strong' : 'em');
          inline(doc, el, s.slice(start, close), cites, depth + 1, inLink);
          add(el);
          i = close + mark.length;
          continue;
        }
      }
      text += mark;
      i += mark.length;
      continue;
    }
    if (c === '[') {
      const cite = /^\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\](?!\()/.exec(s.slice(i, i + 40));
      if (cite) {
        flush();
        for (const n of cite[1]!.split(',')) citation(doc, parent, Number(n), cites, inLink);
        i += cite[0].length;
        continue;
      }
      const link = inLink ? null : matchLink(s, i);
      if (link) {
        const href = safeUrl(link.url);
        if (href) {
          const a = linkTo(doc, href);
          inline(doc, a, link.label, cites, depth + 1, true);
          add(a);
        } else {
          text += s.slice(i, link.end); // not a link we allow: shown as the characters it is
        }
        i = link.end;
        continue;
      }
    }
    if ((c === 'h' || c === 'H' || c === '<') && !inLink && !/[\w/]/.test(s[i - 1] ?? '')) {
      const auto = c === '<' ? /^<((?:https?|mailto):[^\s<>]+)>/i.exec(rest()) : /^https?:\/\/[^\s<>"'`]+/i.exec(rest());
      const url = auto ? (c === '<' ? auto[1]! : trimUrl(auto[0])) : '';
      const href = url.length > 8 ? safeUrl(url) : null;
      if (href) {
        const a = linkTo(doc, href);
        a.appendChild(doc.createTextNode(url));
        add(a);
        i += c === '<' ? auto![0].length : url.length;
        continue;
      }
    }
    text += c;
    i++;
  }
  flush();
}

function renderBlock(doc: Document, block: Block, cites: Cites, depth: number): HTMLElement {
  if (block.kind === 'pre') {
    const pre = doc.createElement('pre');
    const code = doc.createElement('code');
    code.appendChild(doc.createTextNode(block.text));
    pre.appendChild(code);
    return pre;
  }
  if (block.kind === 'ul' || block.kind === 'ol') {
    const list = doc.createElement(block.kind);
    if (block.kind === 'ol' && block.start !== 1) list.setAttribute('start', String(block.start));
    for (const item of block.items!) {
      const li = doc.createElement('li');
      // Items without blank lines (a tight list) hold their text inline, not in paragraphs.
      const tight = !/\n\s*\n/.test(item);
      for (const b of parseBlocks(item, depth + 1)) {
        if (tight && b.kind === 'p') inline(doc, li, b.text, cites, 0, false);
        else li.appendChild(renderBlock(doc, b, cites, depth + 1));
      }
      list.appendChild(li);
    }
    return list;
  }
  const p = doc.createElement('p');
  if (block.kind === 'h') {
    const strong = doc.createElement('strong');
    inline(doc, strong, block.text, cites, 1, false);
    p.appendChild(strong);
  } else {
    inline(doc, p, block.text, cites, 0, false);
  }
  return p;
}

const citeMap = (sources: readonly CitedSource[] | undefined): Cites => new Map((sources ?? []).map((s) => [s.n, s]));

/** Renders a whole answer into a fragment (history, and the final render of a streamed answer). */
export function renderMarkdown(doc: Document, text: string, sources?: readonly CitedSource[]): DocumentFragment {
  const fragment = doc.createDocumentFragment();
  const cites = citeMap(sources);
  for (const block of parseBlocks(text)) fragment.appendChild(renderBlock(doc, block, cites, 0));
  return fragment;
}

/** A streaming view of one answer. */
export interface MarkdownView {
  /** Renders the text so far: blocks that did not change keep their nodes, the rest are rebuilt. */
  update(text: string, sources?: readonly CitedSource[]): void;
}

/** Renders into `el` incrementally, as tokens arrive. */
export function markdownView(el: HTMLElement): MarkdownView {
  const keys: string[] = [];
  const nodes: Node[] = [];
  let lastSources: readonly CitedSource[] | undefined;
  return {
    update(text, sources) {
      const doc = el.ownerDocument;
      const blocks = parseBlocks(text);
      let same = 0;
      if (sources === lastSources) while (same < blocks.length && keys[same] === blocks[same]!.key) same++;
      for (let j = nodes.length - 1; j >= same; j--) el.removeChild(nodes[j]!);
      nodes.length = keys.length = same;
      const cites = citeMap(sources);
      for (const block of blocks.slice(same)) {
        const node = el.appendChild(renderBlock(doc, block, cites, 0));
        nodes.push(node);
        keys.push(block.key);
      }
      lastSources = sources;
    },
  };
}
