import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import pg from 'pg';
import type { Database } from '../server/db/database.ts';
import { withTenant } from '../server/db/tenant.ts';
import { hybridSearch, vectorLiteral } from '../server/knowledge/retrieval.ts';
import { reconcileSiteIndexes } from '../server/knowledge/site-upkeep.system.ts';
import { createCorpus, type CorpusSpec, type Query } from './retrieval-data.ts';
import { adminQuery, databaseUrl, loadCorpus, openBenchDatabase, syntheticModel, type LoadTimings } from './retrieval-db.ts';
import { benchLog } from './run.ts';

// What bench:retrieval uses: the corpus shape, the database (fresh, or kept and reused), ground
// truth and timed searches.

/** The database this process created (dropped on exit unless kept). */
export const created: { name: string | null } = { name: null };

/** The admin connection (databases are created and dropped through it). */
export const adminUrl = process.env.CLOOP_BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/';
export const perSite = Number(process.env.BENCH_QUERIES_PER_SITE ?? 12);
const scale = Number(process.env.BENCH_SCALE ?? 1);
/** Keep the database `cloop_bench_retrieval` and reuse it while its corpus matches. */
export const keep = process.env.BENCH_RETRIEVAL_KEEP_DB === '1';

/** 20 sites, 200,000 chunks: three large (40–57k), one just under the exact-scan threshold, sixteen of 1–8k. */
export const benchSpec: CorpusSpec = {
  dimension: 384,
  clusters: 2000,
  siteSizes: [57_000, 45_000, 40_000, 18_000, 8_000, 5_000, 4_000, 3_500, 3_000, 2_500, 2_000, 2_000, 1_800, 1_500, 1_500, 1_200, 1_000, 1_000, 1_000, 1_000].map((n) => Math.round(n * scale)),
  sitesPerTenant: 2,
  wordsPerChunk: 80,
  seed: 20_260_401,
};

const log = benchLog('bench:retrieval');

/** The q-quantile (nearest rank) of some numbers. */
export function quantile(xs: number[], q: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

/** Share of the exact top-k found in `got`. */
export function recall(truth: number[], got: number[]): number {
  const t = new Set(truth);
  return truth.length ? got.filter((id) => t.has(id)).length / truth.length : 1;
}

/** Exact top-k under the site filter: the HNSW index is switched off, so PostgreSQL scans the site's rows and sorts. */
export async function exactTopK(client: pg.PoolClient, q: Query, k: number): Promise<number[]> {
  await client.query('begin');
  try {
    await client.query('set local enable_indexscan = off');
    const { rows } = await client.query<{ id: number }>('select id from chunks where site_id = $1 order by embedding <=> $2::vector, id limit $3', [q.site.id, vectorLiteral(q.vector), k]);
    return rows.map((r) => Number(r.id));
  } finally {
    await client.query('commit');
  }
}

/** One timed call of the real hybridSearch, as the search service makes it. */
export async function timedSearch(database: Database, q: Query, mode: 'hybrid' | 'vector' | 'fulltext', limit = 10) {
  const site = { id: q.site.id, languages: ['en'], chunkCount: q.site.size };
  const t0 = performance.now();
  const hits = await withTenant(database.db, q.site.tenantId, (tx) => hybridSearch(tx, site, { text: q.text, vector: q.vector, model: syntheticModel }, { limit, mode, aside: { database, tenantId: q.site.tenantId } }));
  return { ms: performance.now() - t0, ids: hits.map((h) => h.chunkId) };
}

/** CPU seconds (user + system) PostgreSQL backends have used so far, from /proc (the server runs on this machine). */
export async function backendCpuSeconds(database: Database): Promise<number> {
  const { rows } = await sql<{ pid: number }>`select pid from pg_stat_activity where application_name = 'cloop' and datname = current_database()`.execute(database.db);
  let ticks = 0;
  for (const { pid } of rows) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      return NaN; // another machine, or the backend went away
    }
  }
  return ticks / 100;
}

/** Reuses the kept database when it holds this corpus; otherwise creates and loads a fresh one. */
export async function prepare(corpus: ReturnType<typeof createCorpus>, opts: { keep: boolean } = { keep }): Promise<{ name: string; url: string; timings: LoadTimings | null }> {
  const fingerprint = JSON.stringify({ ...benchSpec, v: 3 });
  const name = opts.keep ? 'cloop_bench_retrieval' : `cloop_bench_retrieval_${process.pid}_${Date.now().toString(36)}`;
  const url = databaseUrl(adminUrl, name);
  if (opts.keep) {
    const exists = await adminQuery(adminUrl, `select 1 from pg_database where datname = '${name}'`);
    if (exists.rowCount) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const meta = await client.query(`select value from bench_meta where key = 'fingerprint'`).catch(() => ({ rows: [] as { value: string }[] }));
      await client.end();
      if (meta.rows[0]?.value === fingerprint) {
        log(`reusing database ${name}`);
        // Site and tenant ids are random: take the stored ones (sites are named after their index).
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        const { rows } = await c.query<{ id: string; tenant_id: string; name: string }>('select id, tenant_id, name from sites');
        await c.end();
        for (const r of rows) {
          const site = corpus.sites[Number(r.name.replace('site ', ''))]!;
          site.id = r.id;
          site.tenantId = r.tenant_id;
        }
        // What the upkeep job would do after an upgrade (indexes of an earlier version replaced).
        const database = await openBenchDatabase(url);
        try {
          const { created, dropped } = await reconcileSiteIndexes(database);
          if (created.length || dropped.length) log(`per-site indexes: ${created.length} built, ${dropped.length} dropped by the production job`);
        } finally {
          await database.close();
        }
        return { name, url, timings: null };
      }
      await adminQuery(adminUrl, `drop database ${name} with (force)`);
    }
  }
  await adminQuery(adminUrl, `create database ${name}`);
  created.name = name;
  // HNSW builds (the per-site index job) need the graph in memory; PostgreSQL's 64 MB default spills. An operator setting.
  await adminQuery(adminUrl, `alter database ${name} set maintenance_work_mem = '512MB'`);
  await adminQuery(url, 'create extension if not exists vector');
  const database = await openBenchDatabase(url);
  await database.close();
  const timings = await loadCorpus(url, corpus, benchSpec, { batchRows: 2_000, loaders: 2 });
  if (opts.keep) {
    await adminQuery(url, `create table bench_meta (key text primary key, value text)`);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`insert into bench_meta values ('fingerprint', $1)`, [fingerprint]);
    await client.end();
  }
  return { name, url, timings };
}

