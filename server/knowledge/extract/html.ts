import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import { sectionsFromDom } from './dom-sections.ts';
import { extractError } from './extract-errors.ts';
import { nestingDepth } from './html-depth.ts';
import { squash, shortTitle, type TextBudget } from './text.ts';
import type { ExtractedDocument } from './types.ts';

const maxLinks = 10_000;
/** Readability slows down steeply with size and depth; past these the cleaned body is used instead. */
const maxReadabilityElements = 25_000;
const maxReadabilityDepth = 200;
/** Deeper pages are refused before parsing: building their DOM alone takes seconds. */
const maxDepth = 5_000;
/** Page chrome removed when Readability finds no article. */
const chrome = 'nav, header, footer, aside, form, [role=navigation], [role=banner], [role=contentinfo], [role=search]';

/** Decodes an HTML page: a BOM or `<meta charset>` in the first 1 KB decides, UTF-8 otherwise. */
export function decodeHtml(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);
  const head = Buffer.from(bytes.subarray(0, 1024)).toString('latin1');
  const label = /<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)/i.exec(head)?.[1]?.toLowerCase();
  if (label && !label.startsWith('utf-16')) {
    try {
      return new TextDecoder(label).decode(bytes);
    } catch {
      // Unknown label: UTF-8 below.
    }
  }
  return new TextDecoder('utf-8').decode(bytes);
}

/** An absolute http(s) URL without its fragment, or undefined. */
function absolute(href: string | null | undefined, base: string | undefined): string | undefined {
  if (!href) return undefined;
  try {
    const url = new URL(href.trim(), base);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    url.hash = '';
    return url.href;
  } catch {
    return undefined;
  }
}

function metaContent(document: Document, selector: string): string | undefined {
  return document.querySelector(selector)?.getAttribute('content')?.trim() || undefined;
}

/** The target of `<meta http-equiv=refresh content="5; url=...">`. */
function refreshTarget(document: Document, base: string | undefined): string | undefined {
  for (const meta of Array.from(document.querySelectorAll('meta[http-equiv]'))) {
    if (meta.getAttribute('http-equiv')?.toLowerCase() !== 'refresh') continue;
    const m = /^\s*[\d.]*\s*[;,]?\s*(?:url\s*=\s*)?(['"]?)(.+?)\1\s*$/i.exec(meta.getAttribute('content') ?? '');
    const target = absolute(m?.[2], base);
    if (target) return target;
  }
  return undefined;
}

function isNoindex(document: Document): boolean {
  return Array.from(document.querySelectorAll('meta[name]')).some(
    (m) => m.getAttribute('name')?.toLowerCase() === 'robots' && /\b(noindex|none)\b/i.test(m.getAttribute('content') ?? ''),
  );
}

function language(document: Document): string | null {
  const lang = (document.documentElement?.getAttribute('lang') ?? document.documentElement?.getAttribute('xml:lang') ?? '').trim();
  return /^[a-z]{2,3}(-[a-z0-9]{1,8})*$/i.test(lang) ? lang : null;
}

/** og:title, else `<title>`, else the first h1; "Page | Site" becomes "Page" when the h1 says so. */
function pageTitle(document: Document): string {
  const h1 = squash(document.querySelector('h1')?.textContent ?? '');
  const title = metaContent(document, 'meta[property="og:title"]') ?? squash(document.querySelector('title')?.textContent ?? '');
  if (!title) return shortTitle(h1);
  const separator = /^\s*[|–—·:-]\s/;
  const siteSuffix = h1 && title.startsWith(h1) && separator.test(title.slice(h1.length));
  const sitePrefix = h1 && title.endsWith(h1) && separator.test([...title.slice(0, -h1.length)].reverse().join(''));
  return shortTitle(siteSuffix || sitePrefix ? h1 : title);
}

function pageLinks(document: Document, base: string | undefined): string[] {
  const links = new Set<string>();
  for (const a of Array.from(document.querySelectorAll('a[href], area[href]'))) {
    const url = absolute(a.getAttribute('href'), base);
    if (url) links.add(url);
    if (links.size >= maxLinks) break;
  }
  return [...links];
}

/** Readability's article element, or null when it finds nothing worth reading. */
function article(document: Document): Element | null {
  // Counted here: Readability's own `maxElemsToParse` relies on getElementsByTagName('*'), which linkedom answers with nothing.
  if (document.querySelectorAll('*').length > maxReadabilityElements) return null;
  try {
    const result = new Readability<Node>(document, { serializer: (node) => node }).parse();
    const content = result?.content;
    return content && squash(content.textContent ?? '') ? (content as Element) : null;
  } catch {
    return null;
  }
}

/** The body without page chrome: `<main>` when there is one. */
function cleanedBody(document: Document): Element | null {
  for (const el of Array.from(document.querySelectorAll(chrome))) el.remove();
  return document.querySelector('main') ?? document.body ?? document.documentElement;
}

/** The page's own statement of where its content is: its only `<article>`, else `<main>`. */
function semanticContainer(document: Document): Element | null {
  const articles = document.querySelectorAll('article');
  return articles.length === 1 ? articles[0]! : document.querySelector('main, [role=main]');
}

/**
 * The content root. Readability's pick is trusted unless the page marks its content itself and
 * Readability chose something else (on short pages it can prefer a wordy footer).
 */
function contentRoot(document: Document, useReadability: boolean): Element | null {
  const container = semanticContainer(document);
  const containerText = container ? squash(container.textContent ?? '') : '';
  // Copied first: Readability takes the document apart.
  const copy = containerText ? (container!.cloneNode(true) as Element) : null;
  const found = useReadability ? article(document) : null;
  const foundText = found ? squash(found.textContent ?? '') : '';
  // A container much shorter than Readability's pick is a teaser, not the content.
  if (found && (!copy || containerText.includes(foundText.slice(0, 80)) || containerText.length < foundText.length / 4)) return found;
  if (copy) {
    for (const el of Array.from(copy.querySelectorAll('nav, aside, form, footer, [role=navigation], [role=search]'))) el.remove();
    return copy;
  }
  return cleanedBody(document);
}

/**
 * Reads a web page: metadata and every link from the whole page (crawlers need the navigation),
 * then the main content as found by Readability, checked against the page's own `<article>` or
 * `<main>` (navigation, footer and asides dropped), split into sections at h1–h4.
 */
export function extractHtml(html: string, pageUrl: string | undefined, budget: TextBudget): ExtractedDocument {
  const depth = nestingDepth(html);
  if (depth > maxDepth) throw extractError('file_unreadable', `HTML nested ${depth} levels deep`);
  const source = /<html[\s>]/i.test(html.slice(0, 65_536)) ? html : `<!DOCTYPE html><html><head></head><body>${html}</body></html>`;
  const { document } = parseHTML(source);
  const base = absolute(document.querySelector('base[href]')?.getAttribute('href'), pageUrl) ?? pageUrl;
  const canonicalUrl = absolute(document.querySelector('link[rel~="canonical" i][href]')?.getAttribute('href'), base);
  const metaRefresh = refreshTarget(document, base);
  const doc: ExtractedDocument = {
    title: pageTitle(document),
    language: language(document),
    sections: [],
    links: pageLinks(document, base),
    ...(canonicalUrl ? { canonicalUrl } : {}),
    ...(metaRefresh ? { metaRefresh } : {}),
    ...(isNoindex(document) ? { noindex: true } : {}),
  };
  // Readability rewrites the document, so it runs after everything above was read.
  const root = contentRoot(document, depth <= maxReadabilityDepth);
  if (root) doc.sections = sectionsFromDom(root, budget);
  return doc;
}
