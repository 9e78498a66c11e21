import pg from 'pg';
import { openDatabase, type Database } from '../server/db/database.ts';
import { reconcileSiteIndexes, refreshSiteTerms } from '../server/knowledge/site-upkeep.system.ts';
import { createCorpus, type ChunkRow, type CorpusSpec } from './retrieval-data.ts';
import { benchLog } from './run.ts';

// The PostgreSQL side of bench:retrieval: a database of its own, Cloop's migrations, and a fast bulk
// load of the synthetic corpus (multi-row inserts from arrays, indexes built after loading). The
// per-site HNSW indexes are built by the production job's code (knowledge/site-upkeep.system.ts).

const log = benchLog('bench:retrieval');

/** The admin URL with another database name. */
export function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs one statement on the admin connection (CREATE/DROP DATABASE cannot run in a transaction). */
export async function adminQuery(adminUrl: string, text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

/** Stage timings of a load, in seconds. */
export interface LoadTimings {
  insert_s: number;
  gin_build_s: number;
  site_terms_s: number;
  site_hnsw_build_s: number;
  vacuum_analyze_s: number;
}

/** The model name the synthetic vectors are stored (and searched) under. */
export const syntheticModel = 'bench-synthetic-384';

const insertChunks = `
  insert into chunks (tenant_id, site_id, document_id, ordinal, text, heading_path, url, title, ts_config, tsv, embedding, embedding_model)
  select t.tenant_id, t.site_id, t.document_id, t.ordinal, t.text, array[t.heading], t.url, t.title, 'english',
    setweight(to_tsvector('english', t.title), 'A') || setweight(to_tsvector('english', t.heading), 'B') || setweight(to_tsvector('english', t.text), 'C'),
    t.embedding::vector, '${syntheticModel}'
  from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
    as t(tenant_id, site_id, document_id, ordinal, text, heading, url, title, embedding)`;

/**
 * Creates tenants, sites (with their chunk counts), one source per site, documents and chunks as
 * the owner, exactly in Cloop's schema; the GIN index is dropped before and rebuilt after, then the
 * site upkeep job's code counts site_terms and builds the per-site HNSW indexes.
 */
export async function loadCorpus(url: string, corpus: ReturnType<typeof createCorpus>, spec: CorpusSpec, opts: { batchRows: number; loaders: number }): Promise<LoadTimings> {
  const pool = new pg.Pool({ connectionString: url, max: opts.loaders + 1 });
  try {
    const q = (text: string, values?: unknown[]) => pool.query(text, values);
    await q('drop index if exists chunks_site_tsv');
    for (const t of corpus.tenants) await q(`insert into tenants (id, name, tier) values ($1, 'bench', 'business')`, [t]);
    const sourceOf = new Map<string, string>();
    for (const s of corpus.sites) {
      await q(`insert into sites (id, tenant_id, name, embed_key, chunk_count, settings, embedding_model) values ($1, $2, $3, $4, $5, '{"languages":["en"]}', $6)`, [s.id, s.tenantId, `site ${s.index}`, `bench-${s.id}`, s.size, syntheticModel]);
      const src = await q(`insert into sources (tenant_id, site_id, kind, url, status) values ($1, $2, 'website', $3, 'ready') returning id`, [s.tenantId, s.id, `https://site-${s.index}.example/`]);
      sourceOf.set(s.id, src.rows[0].id as string);
    }

    const started = performance.now();
    const order = corpus.documentOrder();
    let next = 0;
    let done = 0;
    let lastLog = performance.now();
    let generateMs = 0;
    let databaseMs = 0;
    const total = spec.siteSizes.reduce((a, b) => a + b, 0);
    // Each loader takes documents until it has a batch, then inserts documents and chunks in one statement each.
    const loader = async () => {
      for (;;) {
        const docs: typeof order = [];
        let rows = 0;
        while (next < order.length && rows < opts.batchRows) {
          const d = order[next++]!;
          docs.push(d);
          rows += d.doc.chunks;
        }
        if (!docs.length) return;
        const g0 = performance.now();
        const chunks: ChunkRow[] = docs.flatMap((d) => corpus.chunksOf(d.site, d.doc));
        generateMs += performance.now() - g0;
        const client = await pool.connect();
        const d0 = performance.now();
        try {
          await client.query('begin');
          // The rows are consistent by construction: skip the per-row foreign-key triggers (owner is superuser).
          await client.query('set local session_replication_role = replica');
          await client.query(
            `insert into documents (id, tenant_id, site_id, source_id, url, title, status, chunk_count, content_hash)
             select * from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::int[], $9::text[])`,
            [
              docs.map((d) => d.doc.id),
              docs.map((d) => d.site.tenantId),
              docs.map((d) => d.site.id),
              docs.map((d) => sourceOf.get(d.site.id)),
              docs.map((d) => `https://site-${d.site.index}.example/${d.doc.id}`),
              docs.map((d) => `document ${d.doc.id}`),
              docs.map(() => 'indexed'),
              docs.map((d) => d.doc.chunks),
              docs.map((d) => d.doc.id),
            ],
          );
          await client.query(insertChunks, [
            chunks.map((c) => c.tenantId),
            chunks.map((c) => c.siteId),
            chunks.map((c) => c.documentId),
            chunks.map((c) => c.ordinal),
            chunks.map((c) => c.text),
            chunks.map((c) => c.heading),
            chunks.map((c) => c.url),
            chunks.map((c) => c.title),
            chunks.map((c) => c.vector),
          ]);
          await client.query('commit');
        } finally {
          client.release();
        }
        databaseMs += performance.now() - d0;
        done += chunks.length;
        if (performance.now() - lastLog > 10_000) {
          lastLog = performance.now();
          log(`  loaded ${done}/${total} chunks (${Math.round(done / ((performance.now() - started) / 1000))}/s)`);
        }
      }
    };
    await Promise.all(Array.from({ length: opts.loaders }, loader));
    const insertS = (performance.now() - started) / 1000;
    log(`inserted ${done} chunks in ${insertS.toFixed(1)} s (generating ${(generateMs / 1000).toFixed(1)} s, database ${(databaseMs / 1000).toFixed(1)} s summed over loaders)`);

    const build = async (what: string, ddl: string) => {
      const t0 = performance.now();
      const client = await pool.connect();
      try {
        await client.query(`set maintenance_work_mem = '512MB'`);
        await client.query('set max_parallel_maintenance_workers = 1');
        await client.query(ddl);
      } finally {
        client.release();
      }
      const s = (performance.now() - t0) / 1000;
      log(`${what} built in ${s.toFixed(1)} s`);
      return s;
    };
    // The same definition as migration 0013.
    const ginS = await build('GIN (site_id, tsv)', 'create index chunks_site_tsv on chunks using gin (site_id, tsv)');
    const t0 = performance.now();
    await q('vacuum analyze chunks');
    await q('analyze documents');
    await q('analyze sites');
    const vacuumS = (performance.now() - t0) / 1000;
    // What the knowledge-site-upkeep job does after a sync: count every changed site's lexemes, then
    // CREATE INDEX CONCURRENTLY for each site with ≥ 5,000 chunks.
    const database = await openBenchDatabase(url);
    let termsS = 0;
    const h0 = performance.now();
    try {
      const s0 = performance.now();
      const refreshed = await refreshSiteTerms(database);
      termsS = (performance.now() - s0) / 1000;
      log(`site_terms of ${refreshed.length} sites counted by the production job in ${termsS.toFixed(1)} s`);
      await q('analyze site_terms');
      const { created } = await reconcileSiteIndexes(database);
      log(`${created.length} per-site HNSW indexes built by the production job in ${((performance.now() - h0) / 1000).toFixed(1)} s`);
    } finally {
      await database.close();
    }
    const hnswS = (performance.now() - h0) / 1000 - termsS;
    return { insert_s: insertS, gin_build_s: ginS, site_terms_s: termsS, site_hnsw_build_s: hnswS, vacuum_analyze_s: vacuumS };
  } finally {
    await pool.end();
  }
}

/** Opens the bench database through Cloop's own code (migrations, the cloop_app pool). */
export function openBenchDatabase(url: string): Promise<Database> {
  return openDatabase({ kind: 'postgres', url, poolMax: 4 });
}
