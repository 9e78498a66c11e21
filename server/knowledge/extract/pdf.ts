import { getDocumentProxy, getMeta } from 'unpdf';
import { extractError } from './extract-errors.ts';
import { shortTitle, squash, type TextBudget } from './text.ts';
import type { ExtractedDocument, ExtractedSection } from './types.ts';

/** The parts of a pdf.js text item we read. */
interface TextItem {
  str: string;
  transform: number[];
  width: number;
  height: number;
  hasEOL: boolean;
}

interface Line {
  text: string;
  y: number;
  size: number;
}

function isTextItem(item: unknown): item is TextItem {
  return typeof item === 'object' && item !== null && typeof (item as { str?: unknown }).str === 'string';
}

/** Groups a page's text items into lines: pdf.js's end-of-line marks, or a jump in the baseline. */
function linesOf(items: TextItem[]): Line[] {
  const lines: Line[] = [];
  let parts: string[] = [];
  let y = 0;
  let size = 0;
  let lastEnd = Number.NaN;
  let lastY = Number.NaN;
  const end = () => {
    const text = squash(parts.join(''));
    if (text) lines.push({ text, y, size });
    parts = [];
    lastEnd = Number.NaN;
  };
  for (const item of items) {
    const [, , , d = 0, x = 0, itemY = 0] = item.transform;
    const itemSize = Math.abs(d) || item.height || 1;
    if (parts.length && Math.abs(itemY - lastY) > itemSize * 0.5) end();
    if (!parts.length) {
      y = itemY;
      size = itemSize;
    } else if (x - lastEnd > itemSize * 0.15 && !/\s$/.test(parts[parts.length - 1]!) && !/^\s/.test(item.str)) {
      parts.push(' ');
    }
    parts.push(item.str);
    lastEnd = x + item.width;
    lastY = itemY;
    if (item.hasEOL) end();
  }
  end();
  return lines;
}

/**
 * Joins lines into paragraphs: a gap wider than ~1.7 lines or a jump back up (the next column)
 * starts a new one; a word hyphenated across lines is mended.
 */
function pageText(items: TextItem[]): { text: string; firstLine: string } {
  const paragraphs: string[] = [];
  let current = '';
  let prev: Line | undefined;
  const lines = linesOf(items);
  for (const line of lines) {
    const gap = prev ? prev.y - line.y : 0;
    if (prev && (gap > Math.max(prev.size, line.size) * 1.7 || gap < -prev.size)) {
      paragraphs.push(current);
      current = '';
    }
    if (!current) current = line.text;
    else if (/^[•*·▪◦‣●○■–-]\s/u.test(line.text)) current += `\n${line.text}`;
    else if (/\p{L}-$/u.test(current) && /^\p{Ll}/u.test(line.text)) current = current.slice(0, -1) + line.text;
    else current += ` ${line.text}`;
    prev = line;
  }
  if (current) paragraphs.push(current);
  const first = paragraphs[0] ?? '';
  return { text: paragraphs.join('\n\n'), firstLine: first.length <= 150 ? first : (lines[0]?.text ?? '') };
}

/** True for pdf.js's "needs a password" failure. */
function isPasswordError(err: unknown): boolean {
  return (err as { name?: unknown })?.name === 'PasswordException';
}

/**
 * Reads a PDF page by page (page numbers kept). Encrypted files, files without any text layer and
 * files pdf.js cannot parse fail with their own codes.
 */
export async function extractPdf(bytes: Uint8Array, maxPages: number, budget: TextBudget): Promise<ExtractedDocument> {
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    pdf = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0, stopAtErrors: false, disableFontFace: true, useSystemFonts: false });
  } catch (err) {
    if (isPasswordError(err)) throw extractError('pdf_encrypted');
    throw extractError('file_unreadable', String(err));
  }
  try {
    if (pdf.numPages > maxPages) throw extractError('pdf_too_many_pages', `${pdf.numPages} pages`);
    const meta = await getMeta(pdf).catch(() => undefined);
    const sections: ExtractedSection[] = [];
    let failure: string | undefined;
    let firstLine = '';
    for (let page = 1; page <= pdf.numPages; page++) {
      try {
        const proxy = await pdf.getPage(page);
        const content = await proxy.getTextContent();
        proxy.cleanup();
        const { text, firstLine: first } = pageText(content.items.flatMap((item) => (isTextItem(item) ? [item] : [])));
        if (!text) continue;
        firstLine ||= first;
        budget.spend(text.length);
        sections.push({ headingPath: [], text, page });
      } catch (err) {
        if ((err as { code?: unknown })?.code === 'text_too_long') throw err;
        failure = `page ${page}: ${String(err)}`;
        break;
      }
    }
    // A page pdf.js cannot read (a circular page tree, a broken object) fails the whole file rather than indexing part of it silently.
    if (failure) throw extractError('file_unreadable', failure);
    if (!sections.length) throw extractError('no_text_layer');
    const info = (meta?.info ?? {}) as Record<string, unknown>;
    const metaTitle = typeof info.Title === 'string' ? squash(info.Title) : '';
    const lang = typeof info.Language === 'string' && /^[a-z]{2,3}(-[a-z0-9]{1,8})*$/i.test(info.Language) ? info.Language : null;
    return { title: shortTitle(metaTitle || firstLine), language: lang, sections };
  } finally {
    await pdf.loadingTask.destroy().catch(() => {});
  }
}
