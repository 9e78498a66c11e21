import { defaultExtractLimits, type ExtractedDocument, type ExtractOptions, type SourceKind } from './types.ts';
import { extractInWorker, warmExtractionWorker } from './worker-pool.ts';

export { detectKind } from './detect.ts';
export { closeExtractionWorkers } from './worker-pool.ts';

/** Starts an extraction worker with the default limits ahead of a batch of documents (see `warmExtractionWorker`). */
export function warmExtraction(): void {
  warmExtractionWorker(defaultExtractLimits.maxHeapMb);
}
export type { ExtractedDocument, ExtractedSection, ExtractLimits, ExtractOptions, SourceKind } from './types.ts';

/**
 * Extracts a document's title, language and sections in a worker thread with a heap cap and a
 * deadline, so a hostile or broken file can only fail (with an extraction error code), never hang
 * or crash the server.
 */
export function extract(kind: SourceKind, bytes: Buffer, opts: ExtractOptions = {}): Promise<ExtractedDocument> {
  const limits = { ...defaultExtractLimits, ...opts.limits };
  return extractInWorker({ kind, bytes, opts: { url: opts.url, filename: opts.filename }, limits });
}
