import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceView } from '../../contracts/knowledge.ts';
import type { Database } from '../db/database.ts';
import { withTenant } from '../db/tenant.ts';
import { startWorkers } from '../jobs.ts';
import { buildTestApp } from '../../test/harness.ts';
import { openIsolatedTestDatabase } from '../../test/isolated-database.ts';
import { indexOf, newSite, search, waitForSource } from '../../test/knowledge-api.ts';
import { fileUpload, multipartBody, type FormPart } from '../../test/multipart.ts';
import { newOwner, type TestUser } from '../../test/sessions.ts';

const docs = (name: string) => fileURLToPath(new URL(`../../../shared/corpora/docs/${name}`, import.meta.url));

let database: Database;
let t: Awaited<ReturnType<typeof buildTestApp>>;

beforeAll(async () => {
  database = await openIsolatedTestDatabase();
  t = await buildTestApp(database);
  await startWorkers(t.deps);
});

afterAll(async () => {
  await t?.close();
  await database?.close();
});

/** A new free-tier Owner with one site. */
async function ownerWithSite(): Promise<{ owner: TestUser; siteId: string }> {
  const owner = await newOwner(t.app, t.deps);
  return { owner, siteId: await newSite(t.app, owner) };
}

async function upload(owner: TestUser, siteId: string, body: { payload: Buffer | string; headers: Record<string, string> }) {
  return t.app.inject({ method: 'POST', url: `/api/sites/${siteId}/sources/upload`, headers: { ...owner.headers, ...body.headers }, payload: body.payload });
}

/** The files kept for a tenant in the fs object store (none when the folder was never made). */
async function storedFiles(tenantId: string): Promise<string[]> {
  if (t.config.storage.kind !== 'fs') throw new Error('these tests read the fs object store');
  return readdir(path.join(t.config.storage.dir, tenantId)).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
}

type Outcome = { status: 'ready'; query: string; word: string } | { status: 'failed'; error: string };

// One row per document: what a user ends up seeing for it.
const table: { file: string; outcome: Outcome }[] = [
  { file: 'tracemonkey.pdf', outcome: { status: 'ready', query: 'trace-based just-in-time compilation', word: 'trace' } },
  { file: 'TAMReview.pdf', outcome: { status: 'ready', query: 'technology acceptance model perceived usefulness', word: 'acceptance' } },
  { file: 'multi-column-2p.pdf', outcome: { status: 'ready', query: 'dense passage retrieval', word: 'passage' } },
  { file: 'fr_olap.pdf', outcome: { status: 'ready', query: 'interrogations de logs de requêtes OLAP', word: 'OLAP' } },
  { file: 'korean-text-with-tables.pdf', outcome: { status: 'ready', query: '적립 제외 대상', word: '적립' } },
  { file: 'prefilled_f1040.pdf', outcome: { status: 'ready', query: 'Internal Revenue Service individual income tax return', word: 'Revenue' } },
  { file: 'docx-tables.docx', outcome: { status: 'ready', query: 'nested table', word: 'Nested' } },
  { file: 'strict-format.docx', outcome: { status: 'ready', query: 'test', word: 'Test' } },
  { file: 'failure-after-repair.pdf', outcome: { status: 'ready', query: 'understanding breast cancer', word: 'cancer' } },
  { file: 'helloworld-bad.pdf', outcome: { status: 'ready', query: 'hello world', word: 'Hello' } },
  { file: 'password.pdf', outcome: { status: 'failed', error: 'pdf_encrypted' } },
  { file: 'loremipsum-flat.pdf', outcome: { status: 'failed', error: 'no_text_layer' } },
  { file: 'Pages-tree-refs.pdf', outcome: { status: 'failed', error: 'file_unreadable' } },
];

describe('uploaded documents end ready and searchable, or failed with a reason', () => {
  const uploads = new Map<string, Promise<{ owner: TestUser; siteId: string; bytes: Buffer; status: number; body: unknown }>>();

  beforeAll(() => {
    // Uploaded together (one tenant each), so the workers process them side by side.
    for (const row of table) {
      uploads.set(
        row.file,
        (async () => {
          const { owner, siteId } = await ownerWithSite();
          const bytes = readFileSync(docs(row.file));
          const res = await upload(owner, siteId, fileUpload(row.file, bytes, 'application/octet-stream'));
          return { owner, siteId, bytes, status: res.statusCode, body: res.json() };
        })(),
      );
    }
  });

  for (const row of table) {
    it(`${row.file} → ${row.outcome.status === 'ready' ? `ready, "${row.outcome.word}" searchable` : `failed: ${row.outcome.error}`}`, async () => {
      const { owner, siteId, bytes, status, body } = await uploads.get(row.file)!;
      expect(status, JSON.stringify(body)).toBe(201);
      const created = body as SourceView;
      expect(created).toMatchObject({ kind: 'file', status: 'queued', fileName: row.file, fileSize: bytes.length });
      const source = await waitForSource(t.app, owner, siteId, created.id, undefined, 90_000);
      const { documents, chunks } = await indexOf(database, owner.tenantId, created.id);
      if (row.outcome.status === 'failed') {
        expect(source).toMatchObject({ status: 'failed', error: row.outcome.error });
        expect(chunks).toEqual([]);
        return;
      }
      expect(source).toMatchObject({ status: 'ready', error: null });
      expect(documents).toHaveLength(1);
      expect(chunks.length).toBeGreaterThan(0);
      // Glyph codes without a Unicode mapping are not text: no passage carries control characters.
      const garbled = chunks.filter((c) => /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(c.text));
      expect(garbled.length, `${garbled.length} of ${chunks.length} passages hold control characters, e.g. ${JSON.stringify(garbled[0]?.text.slice(0, 80))}`).toBe(0);
      const hits = await search(t.app, owner, siteId, row.outcome.query, 5);
      expect(hits[0]?.text.toLowerCase()).toContain(row.outcome.word.toLowerCase());
      expect(hits[0]?.title).toBeTruthy();
      // Every upload of the table is queued at once: on a busy machine the last ones wait for the others.
    }, 120_000);
  }
});

describe('rejected uploads', () => {
  const html = '<!DOCTYPE html><html><body><h1>Not a PDF</h1></body></html>';
  const cases: { name: string; body: () => { payload: Buffer | string; headers: Record<string, string> }; status: number; code: string }[] = [
    { name: 'a ZIP renamed .docx', body: () => fileUpload('report.docx', readFileSync(docs('empty.zip'))), status: 415, code: 'file_type_mismatch' },
    { name: 'HTML renamed .pdf', body: () => fileUpload('invoice.pdf', html), status: 415, code: 'file_type_mismatch' },
    { name: 'an executable', body: () => fileUpload('setup.exe', Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00'), Buffer.alloc(512, 1)])), status: 415, code: 'unsupported_file_type' },
    { name: 'an empty file', body: () => fileUpload('empty.txt', ''), status: 400, code: 'file_empty' },
    { name: 'over the free tier limit (5 MB)', body: () => fileUpload('big.txt', Buffer.alloc(5 * 1024 * 1024 + 1, 'a')), status: 413, code: 'payload_too_large' },
    { name: 'no file field', body: () => multipartBody([{ name: 'title', data: 'just a field' }]), status: 400, code: 'validation_failed' },
    { name: 'a file in another field', body: () => multipartBody([{ name: 'document', filename: 'notes.txt', data: 'hello' } satisfies FormPart]), status: 400, code: 'validation_failed' },
    { name: 'JSON instead of multipart', body: () => ({ payload: JSON.stringify({ file: 'aGVsbG8=' }), headers: { 'content-type': 'application/json' } }), status: 415, code: 'unsupported_media_type' },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.status} ${c.code}, nothing stored`, async () => {
      const { owner, siteId } = await ownerWithSite();
      const res = await upload(owner, siteId, c.body());
      expect(res.statusCode, res.body).toBe(c.status);
      expect(res.json().error.code).toBe(c.code);
      expect(await storedFiles(owner.tenantId)).toEqual([]);
      expect((await t.app.inject({ url: `/api/sites/${siteId}/sources`, headers: owner.headers })).json().items).toEqual([]);
    });
  }
});

describe('uploaded filenames', () => {
  const cases: { name: string; filename: string; stored: string }[] = [
    { name: 'parent-directory parts', filename: '../../etc/passwd.txt', stored: 'passwd.txt' },
    { name: 'an absolute path', filename: '/var/lib/cloop/notes.md', stored: 'notes.md' },
    { name: 'a Windows path', filename: 'C:\\Users\\alice\\Desktop\\minutes.txt', stored: 'minutes.txt' },
    { name: 'Windows parent parts', filename: '..\\..\\boot.txt', stored: 'boot.txt' },
    { name: 'a NUL byte', filename: 'report\u0000.txt', stored: 'report.txt' },
    { name: 'a hidden-file dot', filename: '.env.txt', stored: 'env.txt' },
  ];
  for (const c of cases) {
    it(`with ${c.name} keep only a safe base name; the object key is generated`, async () => {
      const { owner, siteId } = await ownerWithSite();
      const res = await upload(owner, siteId, fileUpload(c.filename, 'Minutes of the parish council: the bridge repairs start in May.\n'));
      expect(res.statusCode, res.body).toBe(201);
      const fileName = (res.json() as SourceView).fileName!;
      expect(fileName).toBe(c.stored);
      expect(fileName).not.toMatch(/[/\\\0]|^\./);
      const row = await withTenant(database.db, owner.tenantId, (tx) => tx.selectFrom('sources').select(['file_key', 'file_name']).where('id', '=', res.json().id).executeTakeFirstOrThrow());
      expect(row.file_key).toMatch(new RegExp(`^${owner.tenantId}/[0-9a-f]{32}$`));
      expect(await storedFiles(owner.tenantId)).toEqual([row.file_key!.split('/')[1]]);
    });
  }
});

describe('a large document', () => {
  it('the 872-page DOCX handbook becomes ready and searchable', async () => {
    const { owner, siteId } = await ownerWithSite();
    const bytes = readFileSync(docs('handbook-872p.docx'));
    const started = Date.now();
    const res = await upload(owner, siteId, fileUpload('handbook-872p.docx', bytes));
    expect(res.statusCode, res.body).toBe(201);
    const source = await waitForSource(t.app, owner, siteId, res.json().id, undefined, 180_000);
    console.log(`handbook-872p.docx: ${source.status} in ${((Date.now() - started) / 1000).toFixed(1)} s, ${String(source.progress.chunks)} chunks`);
    expect(source).toMatchObject({ status: 'ready', error: null });
    const hits = await search(t.app, owner, siteId, 'duties of the standing trustee', 5);
    expect(hits[0]?.text.toLowerCase()).toContain('trustee');
  }, 200_000);
});
