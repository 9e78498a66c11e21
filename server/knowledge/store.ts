import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { withTenant, type TenantTx } from '../db/tenant.ts';
import type { Database } from '../db/database.ts';
import type { Chunk } from './chunk/chunk.ts';
import { vectorLiteral } from './retrieval.ts';

/** A generation that never moves a document backwards (two overlapping syncs must not undo each other). */
function newest(generation: number) {
  return sql<number>`greatest(generation, ${generation})`;
}

/** The identity of the content of a document: the same text gives the same hash. */
export function contentHash(sections: { headingPath: string[]; text: string }[]): string {
  const h = createHash('sha256');
  for (const s of sections) h.update(s.headingPath.join(' > ')).update('\n').update(s.text).update('\n\n');
  return h.digest('base64url');
}

/** Where a document stands before indexing: unchanged, a duplicate of another URL, or new/changed. */
export type Precheck = { kind: 'unchanged' } | { kind: 'duplicate'; of: string } | { kind: 'index' };

/** One document ready to store: its chunks already embedded. */
export interface DocumentToStore {
  tenantId: string;
  siteId: string;
  sourceId: string;
  url: string;
  title: string;
  language: string | null;
  hash: string;
  etag: string | null;
  lastModified: string | null;
  tsConfig: string;
  chunks: Chunk[];
  vectors: number[][];
  /** The embedder model that made `vectors`. */
  embeddingModel: string;
  generation: number;
  links: string[];
}

/**
 * Checks whether the document must be (re-)indexed, with one read: the same URL with the same content
 * is only marked as seen; the same content under another URL of the site is a duplicate.
 */
export async function precheck(db: Database['db'], d: { tenantId: string; siteId: string; sourceId: string; url: string; hash: string; etag: string | null; lastModified: string | null; generation: number; links: string[] }): Promise<Precheck> {
  return withTenant(db, d.tenantId, async (tx) => {
    const { rows } = await sql<{ same: string | null; twin: string | null }>`
      select
        (select id from documents where source_id = ${d.sourceId} and url = ${d.url} and content_hash = ${d.hash} and status = 'indexed') as same,
        (select url from documents where site_id = ${d.siteId} and content_hash = ${d.hash} and status = 'indexed' and url <> ${d.url} limit 1) as twin`.execute(tx);
    const { same, twin } = rows[0]!;
    if (same) {
      await tx.updateTable('documents').set({ generation: newest(d.generation), etag: d.etag, last_modified: d.lastModified, links: d.links.slice(0, 1000), fetched_at: new Date() }).where('id', '=', same).execute();
      return { kind: 'unchanged' };
    }
    return twin !== null ? { kind: 'duplicate', of: twin } : { kind: 'index' };
  });
}

/** Marks a document seen in this sync without touching its content (HTTP 304, or a transient failure); returns its stored links, or null when unknown. */
export async function touchDocument(db: Database['db'], tenantId: string, sourceId: string, url: string, generation: number): Promise<string[] | null> {
  const r = await withTenant(db, tenantId, (tx) =>
    tx.updateTable('documents').set({ generation: newest(generation), fetched_at: new Date() }).where('source_id', '=', sourceId).where('url', '=', url).returning('links').executeTakeFirst(),
  );
  return r ? r.links : null;
}

/** Chunks per INSERT statement: each statement fires the site_terms trigger once, and its rows travel as one JSON value. */
const chunksPerStatement = 500;

/**
 * Stores a document and replaces its chunks in one transaction, so a retried or crashed job
 * never leaves duplicates or half a document. Keeps the document's and the site's chunk counts.
 * `extra` runs in the same transaction (metering the embeddings).
 */
export async function storeDocument(db: Database['db'], d: DocumentToStore, extra?: (tx: TenantTx) => Promise<void>): Promise<number> {
  return withTenant(db, d.tenantId, async (tx) => {
    // The upsert locks the row; its chunk_count (not set here) is the count before this store.
    const doc = await tx
      .insertInto('documents')
      .values({
        tenant_id: d.tenantId,
        site_id: d.siteId,
        source_id: d.sourceId,
        url: d.url,
        title: d.title.slice(0, 500),
        language: d.language,
        content_hash: d.hash,
        etag: d.etag,
        last_modified: d.lastModified,
        status: 'indexed',
        reason: null,
        generation: d.generation,
        links: d.links.slice(0, 1000),
        fetched_at: new Date(),
      })
      .onConflict((oc) =>
        oc.columns(['source_id', 'url']).doUpdateSet((eb) => ({
          title: eb.ref('excluded.title'),
          language: eb.ref('excluded.language'),
          content_hash: eb.ref('excluded.content_hash'),
          etag: eb.ref('excluded.etag'),
          last_modified: eb.ref('excluded.last_modified'),
          status: 'indexed',
          reason: null,
          generation: sql<number>`greatest(documents.generation, excluded.generation)`,
          links: eb.ref('excluded.links'),
          fetched_at: eb.ref('excluded.fetched_at'),
          updated_at: new Date(),
        })),
      )
      .returning(['id', 'chunk_count'])
      .executeTakeFirstOrThrow();
    // A new document has no chunks: skip the delete (and the site_terms trigger it would fire).
    if (doc.chunk_count > 0) await tx.deleteFrom('chunks').where('document_id', '=', doc.id).execute();
    await insertChunks(tx, d, doc.id, d.chunks.length - doc.chunk_count);
    await extra?.(tx);
    return d.chunks.length;
  });
}

/**
 * Inserts the chunks (rows as one JSON parameter per statement, the title's tsvector computed once)
 * and, in the first statement, sets the document's chunk count and moves the site's by `delta`.
 */
async function insertChunks(tx: TenantTx, d: DocumentToStore, documentId: string, delta: number): Promise<void> {
  const cfg = d.tsConfig;
  const title = d.title.slice(0, 500);
  for (let i = 0; i === 0 || i < d.chunks.length; i += chunksPerStatement) {
    const rows = d.chunks.slice(i, i + chunksPerStatement).map((c, j) => ({
      ordinal: c.ordinal,
      text: wellFormed(c.text),
      heading_path: c.headingPath.map(wellFormed),
      page: c.page ?? null,
      embedding: vectorLiteral(d.vectors[i + j]!),
    }));
    const counts =
      i === 0
        ? sql`, counted as (update documents set chunk_count = ${d.chunks.length} where id = ${documentId})
          ${delta !== 0 ? sql`, site as (update sites set chunk_count = greatest(0, chunk_count + ${delta}) where id = ${d.siteId})` : sql``}`
        : sql``;
    const insert = rows.length
      ? sql`, inserted as (
          insert into chunks (tenant_id, site_id, document_id, ordinal, text, heading_path, url, title, page, ts_config, tsv, embedding, embedding_model)
          select ${d.tenantId}, ${d.siteId}, ${documentId}, r.ordinal, r.text, r.heading_path, ${d.url}, ${title}, r.page, ${cfg}::regconfig,
            t.tsv || setweight(to_tsvector(${cfg}::regconfig, array_to_string(r.heading_path, ' ')), 'B') || setweight(to_tsvector(${cfg}::regconfig, r.text), 'C'),
            r.embedding::vector, ${d.embeddingModel}
          from t, jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r (ordinal int, text text, heading_path text[], page int, embedding text))`
      : sql``;
    await sql`with t as (select setweight(to_tsvector(${cfg}::regconfig, ${d.title}), 'A') as tsv) ${insert} ${counts} select 1`.execute(tx);
  }
}

/** Lone surrogates would make the JSON invalid for jsonb; U+FFFD is what the UTF-8 encoder of a plain parameter puts there too. */
function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

async function adjustSiteChunks(tx: TenantTx, siteId: string, delta: number): Promise<void> {
  if (delta !== 0) await tx.updateTable('sites').set((eb) => ({ chunk_count: sql`greatest(0, ${eb.ref('chunk_count')} + ${delta})` })).where('id', '=', siteId).execute();
}

/** Records a URL that could not be indexed (kept for the per-page error list; no chunks). */
export async function recordFailedDocument(db: Database['db'], d: { tenantId: string; siteId: string; sourceId: string; url: string; status: 'skipped' | 'failed'; reason: string; generation: number }): Promise<void> {
  await withTenant(db, d.tenantId, async (tx) => {
    const existing = await tx.selectFrom('documents').select(['id', 'status']).where('source_id', '=', d.sourceId).where('url', '=', d.url).executeTakeFirst();
    // A page indexed before keeps its content through a failed re-sync.
    if (existing?.status === 'indexed') {
      await tx.updateTable('documents').set({ generation: newest(d.generation) }).where('id', '=', existing.id).execute();
      return;
    }
    await tx
      .insertInto('documents')
      .values({ tenant_id: d.tenantId, site_id: d.siteId, source_id: d.sourceId, url: d.url.slice(0, 2048), status: d.status, reason: d.reason.slice(0, 200), generation: d.generation })
      .onConflict((oc) => oc.columns(['source_id', 'url']).doUpdateSet({ status: d.status, reason: d.reason.slice(0, 200), generation: sql<number>`greatest(documents.generation, excluded.generation)`, updated_at: new Date() }))
      .execute();
  });
}

/** Deletes the source's documents not seen in this sync (pages that disappeared) with their chunks. */
export async function removeVanished(db: Database['db'], tenantId: string, siteId: string, sourceId: string, generation: number): Promise<number> {
  return withTenant(db, tenantId, async (tx) => {
    const gone = await tx.deleteFrom('documents').where('source_id', '=', sourceId).where('generation', '<', generation).returning(['chunk_count']).execute();
    await adjustSiteChunks(tx, siteId, -gone.reduce((n, g) => n + g.chunk_count, 0));
    return gone.length;
  });
}
