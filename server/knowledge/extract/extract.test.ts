import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { closeExtractionWorkers, detectKind, extract, type ExtractedDocument, type SourceKind } from './extract.ts';
import { docxBomb, zipArchive } from './test-zips.ts';

const docsDir = '/work/shared/corpora/docs';
const doc = (name: string) => readFileSync(join(docsDir, name));
const allText = (d: ExtractedDocument) => d.sections.map((s) => s.text).join('\n\n');

afterAll(closeExtractionWorkers);

/** What each file of the shared corpus must give: content (words, pages, title) or one error code. */
interface Expected {
  file: string;
  code?: string;
  words?: string[];
  pages?: number;
  title?: RegExp;
  language?: string | null;
  headings?: string[];
  maxMs?: number;
}

const corpus: Expected[] = [
  { file: 'tracemonkey.pdf', pages: 14, title: /^Trace-based Just-in-Time Type Specialization for Dynamic Languages$/, words: ['TraceMonkey', 'trace trees', 'type specialization'] },
  { file: 'TAMReview.pdf', pages: 23, title: /Technology Acceptance Model/, words: ['perceived usefulness'] },
  { file: 'multi-column-2p.pdf', pages: 2, title: /Dense Passage Retrieval/, words: ['open-domain question answering'] },
  { file: 'fr_olap.pdf', pages: 12, title: /Résumés et interrogations de logs de requêtes OLAP/, words: ['entrepôt de données', 'requêtes'] },
  { file: 'korean-text-with-tables.pdf', pages: 1, language: 'ko', words: ['적립 제외 대상', '포인트'] },
  { file: 'prefilled_f1040.pdf', pages: 2, title: /Form 1040/, words: ['Individual Income Tax Return'] },
  { file: 'failure-after-repair.pdf', pages: 76, language: 'en-US', words: ['Understanding Breast Cancer', 'mammogram'] },
  { file: 'helloworld-bad.pdf', pages: 1, title: /^Hello, world!$/, words: ['Hello, world!'] },
  { file: 'Pages-tree-refs.pdf', code: 'file_unreadable' },
  { file: 'password.pdf', code: 'pdf_encrypted' },
  { file: 'loremipsum-flat.pdf', code: 'no_text_layer' },
  {
    file: 'handbook-872p.docx',
    language: 'en-US',
    words: ['Standing Trustees', 'meeting of creditors', 'LANGUAGE INTERPRETERS'],
    headings: ['CHAPTER 1 – INTRODUCTION', 'A. PURPOSE'],
    maxMs: 30_000,
  },
  { file: 'docx-tables.docx', title: /^Simple uniform table$/, words: ['Header Col 1 | Header Col 2', 'Lorem ipsum | A link example', 'd | e | f; g&t | h | i'] },
  { file: 'strict-format.docx', title: /^Test$/, words: ['Test'] },
  { file: 'empty.zip', code: 'unsupported_file_type' },
];

describe('the shared document corpus: detect, then extract', () => {
  it('has a row for every file', () => {
    const files = readdirSync(docsDir).filter((f) => f !== 'SOURCE.md' && f !== 'licenses');
    expect(corpus.map((c) => c.file).sort()).toEqual(files.sort());
  });

  it.each(corpus)('$file', async (row) => {
    const started = performance.now();
    const outcome = await detectKind(doc(row.file), row.file)
      .then((kind) => extract(kind, doc(row.file), { filename: row.file }))
      .then(
        (d) => ({ ok: true as const, d }),
        (err: { code?: string }) => ({ ok: false as const, code: err.code }),
      );
    const ms = Math.round(performance.now() - started);
    console.log(`extract ${row.file}: ${ms} ms`);
    if (row.code) return expect(outcome).toEqual({ ok: false, code: row.code });
    if (!outcome.ok) throw new Error(`${row.file} failed with ${outcome.code}`);
    const d = outcome.d;
    for (const w of row.words ?? []) expect(allText(d).toLowerCase()).toContain(w.toLowerCase());
    if (row.title) expect(d.title).toMatch(row.title);
    if (row.language !== undefined) expect(d.language).toBe(row.language);
    if (row.pages) {
      expect(d.sections.every((s) => s.page !== undefined && s.page >= 1 && s.page <= row.pages!)).toBe(true);
      expect(Math.max(...d.sections.map((s) => s.page!))).toBe(row.pages);
    }
    for (const h of row.headings ?? []) expect(d.sections.some((s) => s.headingPath.includes(h))).toBe(true);
    if (row.maxMs) expect(ms).toBeLessThan(row.maxMs);
  });
});

const pdfBytes = doc('helloworld-bad.pdf');
const htmlBytes = Buffer.from('<!DOCTYPE html><html><head><title>Hi</title></head><body><p>Hello</p></body></html>');

/** detectKind: magic bytes must agree with the name; text must be UTF-8. One row per case. */
const detection: Array<[string, () => Buffer, string, SourceKind | string]> = [
  ['a ZIP renamed .docx', () => zipArchive([{ name: 'hello.txt', content: Buffer.from('hi') }]), 'report.docx', 'file_type_mismatch'],
  ['an empty ZIP renamed .docx', () => doc('empty.zip'), 'empty.docx', 'file_type_mismatch'],
  ['HTML bytes named .pdf', () => htmlBytes, 'page.pdf', 'file_type_mismatch'],
  ['a PDF named .txt', () => pdfBytes, 'notes.txt', 'file_type_mismatch'],
  ['a PDF named .docx', () => pdfBytes, 'notes.docx', 'file_type_mismatch'],
  ['a DOCX named .pdf', () => doc('strict-format.docx'), 'paper.pdf', 'file_type_mismatch'],
  ['a PDF without an extension', () => pdfBytes, 'paper', 'file_type_mismatch'],
  ['Latin-1 text named .csv', () => Buffer.from('name,city\nJos\xe9,M\xe1laga\n', 'latin1'), 'people.csv', 'file_type_mismatch'],
  ['NUL bytes named .txt', () => Buffer.from([0x68, 0x69, 0x00, 0x01]), 'x.txt', 'file_type_mismatch'],
  ['a PNG', () => Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex'), 'logo.png', 'unsupported_file_type'],
  ['an unknown extension', () => Buffer.from('hello'), 'notes.rtfx', 'unsupported_file_type'],
  ['a PDF', () => pdfBytes, 'Paper.PDF', 'pdf'],
  ['a DOCX', () => doc('docx-tables.docx'), 'tables.docx', 'docx'],
  ['HTML', () => htmlBytes, 'index.HTML', 'html'],
  ['XHTML with an XML declaration', () => Buffer.from('<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body>Hi</body></html>'), 'page.xhtml', 'html'],
  ['Markdown with a BOM', () => Buffer.from('\ufeff# Title\n\nText ünïcödé'), 'readme.md', 'markdown'],
  ['CSV', () => Buffer.from('a,b\n1,2\n'), 'data.csv', 'csv'],
  ['plain text', () => Buffer.from('just words'), 'notes.txt', 'txt'],
];

describe('detectKind', () => {
  it.each(detection)('%s', async (_name, bytes, filename, expected) => {
    const got = await detectKind(bytes(), filename).catch((err: { code: string }) => err.code);
    expect(got).toBe(expected);
  });

  it('an empty ZIP handed to the DOCX extractor is unreadable, not a crash', async () => {
    await expect(extract('docx', doc('empty.zip'))).rejects.toMatchObject({ code: 'file_unreadable' });
  });
});

describe('limits', () => {
  it.each([
    ['declared honestly', false, 'file_too_large_decompressed'],
    ['lying about its size', true, 'file_unreadable'],
  ])('a DOCX zip bomb (300 MB of spaces) %s is refused quickly, without inflating it into memory', async (_name, lie, code) => {
    const bomb = docxBomb(300, lie);
    expect(bomb.length).toBeLessThan(1_000_000);
    expect(await detectKind(bomb, 'bomb.docx')).toBe('docx');
    const started = performance.now();
    // 64 MB of heap: inflating the document in memory would run out and answer file_unreadable instead.
    await expect(extract('docx', bomb, { limits: { maxHeapMb: 64 } })).rejects.toMatchObject({ code });
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('a worker past its deadline is killed with extraction_timeout', async () => {
    await expect(extract('docx', doc('handbook-872p.docx'), { limits: { timeMs: 50 } })).rejects.toMatchObject({ code: 'extraction_timeout' });
    expect((await extract('txt', Buffer.from('still alive'))).sections[0]?.text).toBe('still alive');
  });

  it('a worker out of heap fails the file, not the server', async () => {
    await expect(extract('docx', doc('handbook-872p.docx'), { limits: { maxHeapMb: 16 } })).rejects.toMatchObject({ code: 'file_unreadable' });
    expect((await extract('txt', Buffer.from('still alive'))).sections[0]?.text).toBe('still alive');
  });

  it('too many PDF pages and too much text are refused', async () => {
    await expect(extract('pdf', doc('TAMReview.pdf'), { limits: { maxPages: 10 } })).rejects.toMatchObject({ code: 'pdf_too_many_pages' });
    await expect(extract('txt', Buffer.from('word '.repeat(1000)), { limits: { maxTextChars: 1000 } })).rejects.toMatchObject({ code: 'text_too_long' });
  });
});

describe('the worker under tsx', () => {
  it('starts from a plain `tsx` script too (not only under vitest)', async () => {
    const { stdout } = await promisify(execFile)(join(process.cwd(), 'node_modules/.bin/tsx'), ['server/knowledge/extract/extract-cli.ts', join(docsDir, 'strict-format.docx')], { timeout: 20_000 });
    expect(JSON.parse(stdout)).toMatchObject({ kind: 'docx', title: 'Test', sections: 1, chunks: 1 });
  });
});
