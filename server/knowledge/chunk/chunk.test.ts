import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { closeExtractionWorkers, extract, type ExtractedDocument, type ExtractedSection } from '../extract/extract.ts';
import { chunkDocument, type Chunk } from './chunk.ts';
import { countWords } from './words.ts';

afterAll(closeExtractionWorkers);

const nouns = ['invoice', 'parcel', 'account', 'password', 'refund', 'coupon', 'address', 'order'];
/** `n` distinct sentences of 12 words each. */
function sentences(label: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `Sentence ${i + 1} of ${label} explains how the ${nouns[i % nouns.length]} works for visitors today.`);
}
/** Text of about `words` words in paragraphs of five sentences. */
function prose(label: string, words: number): string {
  const all = sentences(label, Math.ceil(words / 12));
  const paragraphs: string[] = [];
  for (let i = 0; i < all.length; i += 5) paragraphs.push(all.slice(i, i + 5).join(' '));
  return paragraphs.join('\n\n');
}
const section = (headingPath: string[], words: number, page?: number): ExtractedSection => ({ headingPath, text: prose(headingPath.join('/') || `page ${page}`, words), ...(page ? { page } : {}) });
const docOf = (...sections: ExtractedSection[]): ExtractedDocument => ({ title: 'T', language: 'en', sections });
const words = (text: string) => text.split(/\s+/).filter(Boolean);

/** Words that chunk `b` repeats from the end of chunk `a`. */
function overlap(a: Chunk, b: Chunk): number {
  const wa = words(a.text);
  const wb = words(b.text);
  for (let n = Math.min(wa.length, wb.length, 120); n > 0; n--) if (wa.slice(-n).join(' ') === wb.slice(0, n).join(' ')) return n;
  return 0;
}

describe('chunkDocument', () => {
  it('gives nothing for an empty or blank document', () => {
    expect(chunkDocument(docOf())).toEqual([]);
    expect(chunkDocument(docOf({ headingPath: ['A'], text: ' \n\n\t ' }, { headingPath: [], text: '' }))).toEqual([]);
  });

  it('cuts a long section into windows within bounds, at sentence ends, overlapping', () => {
    const chunks = chunkDocument(docOf(section(['Guide'], 3000)));
    expect(chunks.length).toBeGreaterThanOrEqual(9);
    for (const c of chunks) {
      expect(c.wordCount).toBeGreaterThanOrEqual(200);
      expect(c.wordCount).toBeLessThanOrEqual(400);
      expect(c.wordCount).toBe(countWords(c.text));
      expect(c.headingPath).toEqual(['Guide']);
      expect(c.text).toMatch(/\.$/);
    }
    for (let i = 1; i < chunks.length; i++) {
      const n = overlap(chunks[i - 1]!, chunks[i]!);
      expect(n).toBeGreaterThanOrEqual(20);
      expect(n).toBeLessThanOrEqual(40);
    }
    expect(chunks.map((c) => c.ordinal)).toEqual(chunks.map((_, i) => i));
  });

  it('loses no sentence', () => {
    const doc = docOf(section(['A'], 1234), section(['A', 'B'], 90), section(['C'], 700));
    const joined = chunkDocument(doc).map((c) => c.text).join('\n');
    for (const s of doc.sections) for (const sentence of s.text.split(/(?<=\.)\s+/)) expect(joined).toContain(sentence);
  });

  it('never merges top-level sections that are big enough alone', () => {
    const chunks = chunkDocument(docOf(section(['Shipping'], 250), section(['Returns'], 250)));
    expect(chunks.map((c) => c.headingPath)).toEqual([['Shipping'], ['Returns']]);
  });

  it('keeps a small section apart from a big neighbour', () => {
    const chunks = chunkDocument(docOf(section(['Intro'], 30), section(['Body'], 300), section(['Outro'], 30)));
    expect(chunks.map((c) => c.headingPath)).toEqual([['Intro'], ['Body'], ['Outro']]);
  });

  it('merges small sibling sections under their parent up to the target, headings kept in the text', () => {
    const questions = Array.from({ length: 10 }, (_, i) => section(['FAQ', `Question ${i + 1}?`], 36));
    const chunks = chunkDocument(docOf(...questions));
    expect(chunks.length).toBe(2);
    for (const c of chunks) {
      expect(c.headingPath).toEqual(['FAQ']);
      expect(c.wordCount).toBeLessThanOrEqual(400);
    }
    expect(chunks[0]!.wordCount).toBeGreaterThanOrEqual(200);
    expect(chunks[0]!.text.startsWith('Question 1?\n\nSentence 1 of FAQ/Question 1?')).toBe(true);
    expect(chunks[1]!.text).toContain('Question 10?\n\n');
  });

  it('is deterministic', () => {
    const doc = docOf(section([], 80), section(['A'], 900), section(['A', 'B'], 40), section(['A', 'C'], 60), section(['D'], 450));
    expect(JSON.stringify(chunkDocument(doc))).toBe(JSON.stringify(chunkDocument(structuredClone(doc))));
  });

  it('respects custom sizes', () => {
    const chunks = chunkDocument(docOf(section(['A'], 2000)), { targetWords: 100, minWords: 60, maxWords: 150, overlapWords: 10 });
    for (const c of chunks) expect(c.wordCount).toBeLessThanOrEqual(150);
    expect(chunks.length).toBeGreaterThan(15);
  });

  it('cuts text without spaces (Chinese) too', () => {
    const text = '退货政策说明了访客如何退回商品以及需要多长时间。'.repeat(60);
    const chunks = chunkDocument(docOf({ headingPath: ['退货'], text }));
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks) expect(c.wordCount).toBeLessThanOrEqual(400);
    expect(chunks[0]!.tokenEstimate).toBeGreaterThanOrEqual(chunks[0]!.wordCount);
  });

  it('merges tiny PDF pages (keeping the first page) but never a full one', () => {
    const chunks = chunkDocument(docOf(section([], 60, 1), section([], 60, 2), section([], 60, 3), section([], 250, 4), section([], 900, 5)));
    expect(chunks.length).toBeGreaterThanOrEqual(5);
    expect(chunks.map((c) => c.page)).toEqual([1, 4, ...Array<number>(chunks.length - 2).fill(5)]);
    expect(chunks[0]!.text).toContain('page 3');
  });
});

describe('chunking real documents', () => {
  it('keeps PDF page numbers: every chunk lies within its page', async () => {
    const doc = await extract('pdf', readFileSync('/work/shared/corpora/docs/tracemonkey.pdf'));
    const pageText = new Map(doc.sections.map((s) => [s.page, s.text]));
    const chunks = chunkDocument(doc);
    expect(new Set(chunks.map((c) => c.page))).toEqual(new Set(Array.from({ length: 14 }, (_, i) => i + 1)));
    for (const c of chunks) expect(pageText.get(c.page)).toContain(c.text);
    expect(chunks.map((c) => c.page)).toEqual([...chunks.map((c) => c.page)].sort((a, b) => a! - b!));
  });

  it('chunks the 872-page handbook within bounds, with heading paths', async () => {
    const doc = await extract('docx', readFileSync('/work/shared/corpora/docs/handbook-872p.docx'));
    const started = performance.now();
    const chunks = chunkDocument(doc);
    console.log(`chunked handbook: ${chunks.length} chunks in ${Math.round(performance.now() - started)} ms`);
    expect(chunks.length).toBeGreaterThan(300);
    for (const c of chunks) {
      expect(c.wordCount).toBeGreaterThan(0);
      expect(c.wordCount).toBeLessThanOrEqual(400);
    }
    expect(chunks.some((c) => c.headingPath[0] === 'CHAPTER 1 – INTRODUCTION' && c.headingPath[1] === 'A. PURPOSE')).toBe(true);
    expect(JSON.stringify(chunkDocument(doc))).toBe(JSON.stringify(chunks));
  });
});
