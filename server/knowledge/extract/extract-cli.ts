import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { chunkDocument } from '../chunk/chunk.ts';
import { closeExtractionWorkers, detectKind, extract } from './extract.ts';

// Prints one JSON line per file: what Cloop extracts and how it chunks it.
// Usage: npx tsx server/knowledge/extract/extract-cli.ts <file>...
const files = process.argv.slice(2);
if (!files.length) {
  console.error('usage: tsx server/knowledge/extract/extract-cli.ts <file>...');
  process.exitCode = 2;
}
for (const file of files) {
  const started = performance.now();
  try {
    const bytes = await readFile(file);
    const kind = await detectKind(bytes, basename(file));
    const doc = await extract(kind, bytes, { filename: basename(file) });
    const chunks = chunkDocument(doc);
    const pages = new Set(doc.sections.map((s) => s.page).filter((p) => p !== undefined)).size;
    console.log(JSON.stringify({ file, kind, ms: Math.round(performance.now() - started), title: doc.title, language: doc.language, sections: doc.sections.length, pages, chars: doc.sections.reduce((n, s) => n + s.text.length, 0), chunks: chunks.length }));
  } catch (err) {
    const e = err as { code?: string; cause?: unknown; message?: string };
    console.log(JSON.stringify({ file, ms: Math.round(performance.now() - started), error: e.code ?? 'internal', cause: String(e.cause ?? e.message) }));
  }
}
await closeExtractionWorkers();
