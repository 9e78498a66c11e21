/** One run of text under a heading; `page` is the 1-based PDF page it came from. */
export interface ExtractedSection {
  headingPath: string[];
  text: string;
  page?: number;
}

/** What every extractor produces, whatever the source format. */
export interface ExtractedDocument {
  title: string;
  language: string | null;
  sections: ExtractedSection[];
  canonicalUrl?: string;
  /** Absolute http(s) links found anywhere in an HTML page (navigation included), without fragments. */
  links?: string[];
  /** Absolute target of `<meta http-equiv=refresh>`. */
  metaRefresh?: string;
  noindex?: boolean;
}

/** The source formats Cloop can read. */
export type SourceKind = 'html' | 'pdf' | 'docx' | 'txt' | 'markdown' | 'csv';

/** Resource caps for one extraction. */
export interface ExtractLimits {
  /** Wall time before the worker is killed. */
  timeMs: number;
  /** PDF pages. */
  maxPages: number;
  /** Sum of a DOCX archive's uncompressed entry sizes. */
  maxDecompressedBytes: number;
  /** Worker heap (V8 old generation). */
  maxHeapMb: number;
  /** Characters of extracted text. */
  maxTextChars: number;
}

/** Options of one extraction: the page URL (to resolve links) or the uploaded file name. */
export interface ExtractOptions {
  url?: string;
  filename?: string;
  limits?: Partial<ExtractLimits>;
}

/** Limits used where the caller sets none. */
export const defaultExtractLimits: Readonly<ExtractLimits> = Object.freeze({
  timeMs: 20_000,
  maxPages: 2000,
  maxDecompressedBytes: 200 * 1024 * 1024,
  maxHeapMb: 512,
  maxTextChars: 5_000_000,
});

/** Entries a DOCX archive may hold. */
export const maxZipEntries = 10_000;
