import { parseHTML } from 'linkedom';
import mammoth from 'mammoth';
import { inlineText, sectionsFromDom } from './dom-sections.ts';
import { extractError } from './extract-errors.ts';
import { shortTitle, squash, type TextBudget } from './text.ts';
import type { ExtractedDocument } from './types.ts';
import { checkDocxArchive } from './zip-check.ts';

/** Word's Title style marks the document title; images are dropped unread. */
const styleMap = ["p[style-name='Title'] => p.docx-title:fresh", "p[style-name='Subtitle'] => p:fresh"];
const dropImages = mammoth.images.imgElement(() => Promise.resolve({ src: '' }));

function decodeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** `dc:title` from docProps/core.xml. */
function coreTitle(coreXml: string | undefined): string {
  const m = coreXml && /<dc:title>([^<]*)<\/dc:title>/.exec(coreXml);
  return m ? squash(decodeXml(m[1] ?? '')) : '';
}

/** The default language in word/styles.xml (`w:docDefaults … w:lang w:val`). */
function defaultLanguage(stylesXml: string | undefined): string | null {
  const defaults = stylesXml && /<w:docDefaults>[\s\S]*?<\/w:docDefaults>/.exec(stylesXml)?.[0];
  const lang = defaults && /<w:lang\b[^>]*\bw:val="([^"]+)"/.exec(defaults)?.[1];
  return lang && /^[a-z]{2,3}(-[a-z0-9]{1,8})*$/i.test(lang) ? lang : null;
}

/** A table-of-contents line: nothing but links to the document's own bookmarks. */
function isTocParagraph(p: Element): boolean {
  const links = Array.from(p.querySelectorAll('a'));
  if (!links.length || !links.every((a) => (a.getAttribute('href') ?? '').startsWith('#'))) return false;
  const linked = links.map((a) => a.textContent ?? '').join('');
  return squash(linked).length >= squash(p.textContent ?? '').length * 0.8;
}

/**
 * Reads a DOCX: the archive is checked first (entry count, declared and real sizes, main part), then
 * mammoth renders HTML that keeps headings and tables, split into sections like a web page.
 */
export async function extractDocx(bytes: Buffer, maxDecompressedBytes: number, budget: TextBudget): Promise<ExtractedDocument> {
  const archive = await checkDocxArchive(bytes, maxDecompressedBytes);
  let html: string;
  try {
    html = (await mammoth.convertToHtml({ buffer: bytes }, { styleMap, convertImage: dropImages })).value;
  } catch (err) {
    throw extractError('file_unreadable', `mammoth: ${String(err)}`);
  }
  const { document } = parseHTML(`<!DOCTYPE html><html><head></head><body>${html}</body></html>`);
  for (const p of Array.from(document.querySelectorAll('p'))) if (isTocParagraph(p)) p.remove();
  const titleEl = document.querySelector('p.docx-title');
  const title = coreTitle(archive.parts.get('docProps/core.xml')) || (titleEl ? inlineText(titleEl) : '');
  titleEl?.remove();
  const sections = sectionsFromDom(document.body, budget);
  const firstLine = sections[0]?.text.split('\n')[0] ?? '';
  return { title: shortTitle(title || firstLine), language: defaultLanguage(archive.parts.get('word/styles.xml')), sections };
}
