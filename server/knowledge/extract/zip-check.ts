import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { extractError } from './extract-errors.ts';
import { maxZipEntries } from './types.ts';

/** Small XML parts read on the way, for the title and language. */
const keptParts = new Set(['docProps/core.xml', 'word/styles.xml']);
const maxKeptBytes = 2 * 1024 * 1024;

/** What the archive check learned. */
export interface DocxArchive {
  parts: Map<string, string>;
}

function openZip(bytes: Buffer): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(bytes, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false }, (err, zip) => (err ? reject(err) : resolve(zip)));
  });
}

function listEntries(zip: ZipFile): Promise<Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: Entry[] = [];
    zip.on('entry', (entry: Entry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.on('end', () => resolve(entries));
    zip.on('error', reject);
    zip.readEntry();
  });
}

/** Inflates one entry, counting its real bytes; yauzl fails when they exceed the declared size. */
function drain(zip: ZipFile, entry: Entry, keep: boolean): Promise<{ bytes: number; text?: string }> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err) return reject(err);
      let bytes = 0;
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (keep && bytes <= maxKeptBytes) chunks.push(chunk);
      });
      stream.on('error', reject);
      stream.on('end', () => resolve(keep && bytes <= maxKeptBytes ? { bytes, text: Buffer.concat(chunks).toString('utf8') } : { bytes }));
    });
  });
}

/**
 * Checks a DOCX archive before anyone unzips it: at most 10,000 entries, declared sizes summing to at
 * most `maxBytes`, no encryption, a `word/document.xml`. Then it inflates each entry once without
 * keeping it, so sizes that lie in the headers are caught too.
 */
export async function checkDocxArchive(bytes: Buffer, maxBytes: number): Promise<DocxArchive> {
  let zip: ZipFile;
  try {
    zip = await openZip(bytes);
  } catch (err) {
    throw extractError('file_unreadable', `zip: ${String(err)}`);
  }
  try {
    if (zip.entryCount > maxZipEntries) throw extractError('file_too_large_decompressed', `${zip.entryCount} entries`);
    const entries = await listEntries(zip).catch((err: unknown) => {
      throw extractError('file_unreadable', `zip: ${String(err)}`);
    });
    const declared = entries.reduce((sum, e) => sum + e.uncompressedSize, 0);
    if (declared > maxBytes) throw extractError('file_too_large_decompressed', `${declared} bytes declared`);
    if (!entries.some((e) => e.fileName === 'word/document.xml')) throw extractError('file_unreadable', 'no word/document.xml');
    if (entries.some((e) => e.isEncrypted())) throw extractError('file_unreadable', 'encrypted entries');
    const parts = new Map<string, string>();
    for (const entry of entries) {
      if (entry.fileName.endsWith('/')) continue;
      const keep = keptParts.has(entry.fileName);
      const result = await drain(zip, entry, keep).catch((err: unknown) => {
        throw extractError('file_unreadable', `zip entry ${entry.fileName}: ${String(err)}`);
      });
      if (result.text !== undefined) parts.set(entry.fileName, result.text);
    }
    return { parts };
  } finally {
    zip.close();
  }
}
