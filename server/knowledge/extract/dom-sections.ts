import { squash, type TextBudget } from './text.ts';
import type { ExtractedSection } from './types.ts';

const ELEMENT = 1;
const TEXT = 3;

/** Elements whose content is never visible text. */
const skipped = new Set(['script', 'style', 'noscript', 'template', 'svg', 'math', 'iframe', 'object', 'embed', 'canvas', 'select', 'textarea', 'button', 'input', 'head', 'title', 'meta', 'link', 'img', 'video', 'audio']);
/** Elements that end a paragraph before and after them. */
const paragraphBlocks = new Set(['p', 'div', 'section', 'article', 'main', 'header', 'footer', 'nav', 'aside', 'address', 'blockquote', 'figure', 'figcaption', 'details', 'summary', 'dl', 'dd', 'hr', 'form', 'fieldset', 'center', 'body', 'html', 'h5', 'h6', 'ul', 'ol', 'caption', 'table', 'pre']);
/** Elements that end a line (not a paragraph). */
const lineBlocks = new Set(['li', 'br', 'dt', 'tr']);
const headingLevel: Record<string, number> = { h1: 1, h2: 2, h3: 3, h4: 4 };
const maxHeadingChars = 300;

function isHidden(el: Element): boolean {
  if (el.hasAttribute('hidden') || el.getAttribute('aria-hidden') === 'true') return true;
  const style = el.getAttribute('style');
  return style !== null && /display\s*:\s*none|visibility\s*:\s*hidden/i.test(style);
}

/**
 * Walks `root` depth-first without recursion (hostile pages nest 100k levels deep).
 * `enter` returns false to skip a node (no children, no `leave`); `leave` runs after a node's children.
 */
export function walk(root: Node, enter: (node: Node) => boolean, leave: (node: Node) => void): void {
  let node: Node | null = root.firstChild;
  while (node) {
    const entered = enter(node);
    if (entered && node.firstChild) {
      node = node.firstChild;
      continue;
    }
    let cur: Node | null = node;
    let left = !entered;
    node = null;
    while (cur && cur !== root) {
      if (!left) leave(cur);
      left = false;
      if (cur.nextSibling) {
        node = cur.nextSibling;
        break;
      }
      cur = cur.parentNode;
    }
  }
}

/** Tables nested deeper than this are read as plain text (no recursion without end). */
const maxTableNesting = 8;

/** Visible text of an element on one line; nested tables become `row; row`. */
export function inlineText(root: Element, tableDepth = 0): string {
  const parts: string[] = [];
  walk(
    root,
    (node) => {
      if (node.nodeType === TEXT) parts.push(node.nodeValue ?? '');
      if (node.nodeType !== ELEMENT) return false;
      const el = node as Element;
      const tag = el.localName;
      if (skipped.has(tag) || isHidden(el)) return false;
      if (tag === 'table' && tableDepth < maxTableNesting) {
        parts.push(' ', tableRows(el, tableDepth + 1).join('; '), ' ');
        return false;
      }
      if (paragraphBlocks.has(tag) || lineBlocks.has(tag) || tag === 'td' || tag === 'th') parts.push(' ');
      return true;
    },
    () => {},
  );
  return squash(parts.join(''));
}

/** The rows of a table (not of tables nested in it) as `cell | cell`; empty cells and rows are dropped. */
export function tableRows(table: Element, tableDepth = 0): string[] {
  const rows: string[] = [];
  const trs = Array.from(table.children).flatMap((child) => (child.localName === 'tr' ? [child] : ['thead', 'tbody', 'tfoot'].includes(child.localName) ? Array.from(child.children) : []));
  for (const tr of trs) {
    if (tr.localName !== 'tr' || isHidden(tr)) continue;
    const cells = Array.from(tr.children)
      .filter((c) => (c.localName === 'td' || c.localName === 'th') && !isHidden(c))
      .map((c) => inlineText(c, tableDepth))
      .filter(Boolean);
    if (cells.length) rows.push(cells.join(' | '));
  }
  return rows;
}

/** Accumulates lines and paragraphs into sections, starting a new section at each h1–h4. */
class SectionWriter {
  readonly sections: ExtractedSection[] = [];
  private readonly headings: Array<{ level: number; text: string }> = [];
  private readonly paragraphs: string[] = [];
  private lines: string[] = [];
  private inline: string[] = [];
  private pendingPrefix = '';
  private readonly budget: TextBudget;

  constructor(budget: TextBudget) {
    this.budget = budget;
  }

  text(value: string): void {
    this.inline.push(value);
  }

  /** The next non-empty line starts with `prefix` (list bullets). */
  prefix(value: string): void {
    this.endLine();
    this.pendingPrefix = value;
  }

  endLine(): void {
    const line = squash(this.inline.join(''));
    this.inline = [];
    if (!line) return;
    this.lines.push(this.pendingPrefix + line);
    this.pendingPrefix = '';
  }

  endParagraph(): void {
    this.endLine();
    if (!this.lines.length) return;
    const text = this.lines.join('\n');
    this.lines = [];
    this.budget.spend(text.length);
    this.paragraphs.push(text);
  }

  /** A ready-made paragraph (a table, preformatted text). */
  addParagraph(text: string): void {
    this.endParagraph();
    if (!text) return;
    this.budget.spend(text.length);
    this.paragraphs.push(text);
  }

  heading(level: number, text: string): void {
    this.endSection();
    while (this.headings.length && this.headings[this.headings.length - 1]!.level >= level) this.headings.pop();
    this.headings.push({ level, text: text.length > maxHeadingChars ? `${text.slice(0, maxHeadingChars)}…` : text });
  }

  endSection(): void {
    this.endParagraph();
    if (!this.paragraphs.length) return;
    this.sections.push({ headingPath: this.headings.map((h) => h.text), text: this.paragraphs.join('\n\n') });
    this.paragraphs.length = 0;
  }
}

/**
 * Turns an HTML content tree into sections split at h1–h4, each with its heading path. Paragraphs
 * are separated by a blank line, list items and table rows by a line break (`cell | cell`).
 */
export function sectionsFromDom(root: Element, budget: TextBudget): ExtractedSection[] {
  const out = new SectionWriter(budget);
  const lists: Array<{ ordered: boolean; next: number }> = [];
  walk(
    root,
    (node) => {
      if (node.nodeType === TEXT) {
        out.text(node.nodeValue ?? '');
        return false;
      }
      if (node.nodeType !== ELEMENT) return false;
      const el = node as Element;
      const tag = el.localName;
      if (skipped.has(tag) || isHidden(el)) return false;
      const level = headingLevel[tag];
      if (level) {
        const text = inlineText(el);
        if (text) out.heading(level, text);
        else out.endParagraph();
        return false;
      }
      if (tag === 'table') {
        out.addParagraph(tableRows(el).join('\n'));
        return false;
      }
      if (tag === 'pre') {
        out.addParagraph((el.textContent ?? '').replace(/[ \t]+$/gm, '').replace(/^\n+|\s+$/g, ''));
        return false;
      }
      if (tag === 'ul' || tag === 'ol') {
        lists.push({ ordered: tag === 'ol', next: Number(el.getAttribute('start')) || 1 });
        if (lists.length === 1) out.endParagraph();
        else out.endLine();
      } else if (tag === 'li') {
        const list = lists[lists.length - 1];
        out.prefix(list?.ordered ? `${list.next++}. ` : '- ');
      } else if (lists.length && (tag === 'p' || tag === 'div')) out.endLine();
      else if (paragraphBlocks.has(tag)) out.endParagraph();
      else if (lineBlocks.has(tag)) out.endLine();
      return true;
    },
    (node) => {
      if (node.nodeType !== ELEMENT) return;
      const tag = (node as Element).localName;
      if (tag === 'ul' || tag === 'ol') {
        lists.pop();
        if (lists.length) out.endLine();
        else out.endParagraph();
      } else if (lists.length && (tag === 'p' || tag === 'div' || tag === 'li')) out.endLine();
      else if (paragraphBlocks.has(tag)) out.endParagraph();
      else if (lineBlocks.has(tag)) out.endLine();
    },
  );
  out.endSection();
  return out.sections;
}
