import { isUtf8 } from 'node:buffer';
import { extname } from 'node:path';
import { fileTypeFromBuffer } from 'file-type';
import { extractError } from './extract-errors.ts';
import type { SourceKind } from './types.ts';

const kindByExtension: Record<string, SourceKind> = {
  '.html': 'html',
  '.htm': 'html',
  '.xhtml': 'html',
  '.pdf': 'pdf',
  '.docx': 'docx',
  '.txt': 'txt',
  '.text': 'txt',
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.csv': 'csv',
};

/** Binary kinds, named by the extension file-type reports for them. */
const kindByMagic: Record<string, SourceKind> = { pdf: 'pdf', docx: 'docx' };
const textKinds: ReadonlySet<SourceKind> = new Set(['html', 'txt', 'markdown', 'csv']);

/** True when the bytes are UTF-8 text (a BOM is fine) with no NUL byte. */
export function isUtf8Text(bytes: Buffer): boolean {
  return isUtf8(bytes) && !bytes.includes(0);
}

/**
 * Decides a file's kind. Binary formats are recognised by their magic bytes, which must agree
 * with the extension; text formats go by extension and must be UTF-8 without NUL bytes.
 */
export async function detectKind(bytes: Buffer, filename: string): Promise<SourceKind> {
  const byExtension = kindByExtension[extname(filename).toLowerCase()];
  const magic = await fileTypeFromBuffer(bytes);
  // XML is text; XHTML and XML-looking text files are judged as text below.
  if (magic && magic.ext !== 'xml') {
    const byMagic = kindByMagic[magic.ext];
    if (byMagic && byMagic === byExtension) return byMagic;
    if (byMagic || byExtension) throw extractError('file_type_mismatch', `content is ${magic.ext}, name says ${filename}`);
    throw extractError('unsupported_file_type', `content is ${magic.ext}`);
  }
  if (!byExtension) throw extractError('unsupported_file_type', `extension of ${filename}`);
  if (!textKinds.has(byExtension)) throw extractError('file_type_mismatch', `no ${byExtension} signature in ${filename}`);
  if (!isUtf8Text(bytes)) throw extractError('file_type_mismatch', `${filename} is not UTF-8 text`);
  return byExtension;
}
