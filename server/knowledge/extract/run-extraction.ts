import { TextBudget, decodeUtf8, titleFromFilename } from './text.ts';
import type { ExtractedDocument, ExtractLimits, SourceKind } from './types.ts';

/**
 * Extracts in the current thread; `extract()` runs this inside a worker. Each format's code is
 * loaded on first use, so a worker that only sees HTML never loads pdf.js.
 */
export async function runExtraction(kind: SourceKind, bytes: Uint8Array, opts: { url?: string | undefined; filename?: string | undefined }, limits: ExtractLimits): Promise<ExtractedDocument> {
  const budget = new TextBudget(limits.maxTextChars);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let doc: ExtractedDocument;
  switch (kind) {
    case 'html': {
      const { decodeHtml, extractHtml } = await import('./html.ts');
      doc = extractHtml(decodeHtml(buffer), opts.url, budget);
      break;
    }
    case 'pdf': {
      const { extractPdf } = await import('./pdf.ts');
      doc = await extractPdf(buffer, limits.maxPages, budget);
      break;
    }
    case 'docx': {
      const { extractDocx } = await import('./docx.ts');
      doc = await extractDocx(buffer, limits.maxDecompressedBytes, budget);
      break;
    }
    case 'markdown': {
      const { extractMarkdown } = await import('./markdown.ts');
      doc = extractMarkdown(decodeUtf8(buffer), budget);
      break;
    }
    case 'txt': {
      const { extractTxt } = await import('./markdown.ts');
      doc = extractTxt(decodeUtf8(buffer), budget);
      break;
    }
    case 'csv': {
      const { extractCsv } = await import('./csv.ts');
      doc = extractCsv(decodeUtf8(buffer), budget);
      break;
    }
  }
  if (!doc.title) doc.title = titleFromFilename(opts.filename);
  return doc;
}
