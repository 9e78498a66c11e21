import os from 'node:os';
import { sql } from 'kysely';
import pg from 'pg';
import type { Database } from '../server/db/database.ts';
import { withTenant } from '../server/db/tenant.ts';
import { exactScanBelow } from '../server/knowledge/retrieval.ts';
import { createCorpus, type Query, type SitePlan } from './retrieval-data.ts';
import { openBenchDatabase } from './retrieval-db.ts';
import { createSiteTerms, proposedText, textLeg, vectorLeg, type VectorMode } from './retrieval-proposed.ts';
import { backendCpuSeconds, benchSpec, exactTopK, perSite, prepare, quantile, recall, timedSearch } from './retrieval-setup.ts';

// Experiments behind bench:retrieval's proposals, on the kept database (cloop_bench_retrieval, loaded
// by `BENCH_RETRIEVAL_KEEP_DB=1 npm run bench:retrieval`). Not an npm script: run
// `BENCH_EXP=vector,partial,text,hybrid node --import tsx bench/retrieval-experiments.ts`.
//   vector  — recall and latency of the vector leg per site: exact scan and HNSW (global index) settings
//   partial — builds per-site partial HNSW indexes for sites ≥ BENCH_PARTIAL_MIN (5000) chunks (kept until
//             bench:retrieval reuses the database), then HNSW settings on BENCH_PARTIAL_QUERIES (30) questions
//             per such site (the planner picks the partial index for `site_id = $1`)
//   text    — current full-text leg (with and without LEAKPROOF @@) vs the proposed one (latency, server CPU)
//   hybrid  — the current hybridSearch vs the proposed pipeline, end to end inside withTenant
// The text and hybrid experiments build `site_terms` (per-site lexeme document frequencies) once.
// One JSON line on stdout; tables on stderr.

const experiments = new Set((process.env.BENCH_EXP ?? 'vector,text,hybrid').split(','));
const partialMin = Number(process.env.BENCH_PARTIAL_MIN ?? 5_000);
const partialQueries = Number(process.env.BENCH_PARTIAL_QUERIES ?? 30);
const proposedExactBelow = Number(process.env.BENCH_PROPOSED_EXACT_BELOW ?? 5_000);
const log = (message: string) => process.stderr.write(`[retrieval-experiments] ${message}\n`);
const r1 = (x: number) => Math.round(x * 10) / 10;
const r3 = (x: number) => Math.round(x * 1000) / 1000;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

const hnswModes: Record<string, VectorMode> = {
  'ef40 off': { kind: 'hnsw', efSearch: 40, iterative: 'off' },
  'ef100 relaxed 20k': { kind: 'hnsw', efSearch: 100, iterative: 'relaxed_order', maxScanTuples: 20_000 },
  'ef200 relaxed 50k (current)': { kind: 'hnsw', efSearch: 200, iterative: 'relaxed_order', maxScanTuples: 50_000 },
  'ef400 relaxed 100k': { kind: 'hnsw', efSearch: 400, iterative: 'relaxed_order', maxScanTuples: 100_000 },
  'ef200 strict 50k': { kind: 'hnsw', efSearch: 200, iterative: 'strict_order', maxScanTuples: 50_000 },
};

/** Runs fn once per query; returns per-site recall (when `truths` is given) and latency. */
async function perQuery(queries: Query[], fn: (q: Query) => Promise<number[]>, truths?: number[][]) {
  const ms: number[] = [];
  const rec: number[] = [];
  const ids: number[][] = [];
  for (const [i, q] of queries.entries()) {
    const t0 = performance.now();
    const got = await fn(q);
    ms.push(performance.now() - t0);
    ids.push(got);
    if (truths) rec.push(recall(truths[i]!, got));
  }
  return { ms, rec, ids };
}

function bySite(sites: SitePlan[], queries: Query[], r: { ms: number[]; rec: number[] }) {
  return sites.map((site) => {
    const idx = queries.flatMap((q, i) => (q.site === site ? [i] : []));
    return { chunks: site.size, recall: r.rec.length ? r3(mean(idx.map((i) => r.rec[i]!))) : null, p50: r1(quantile(idx.map((i) => r.ms[i]!), 0.5)), p95: r1(quantile(idx.map((i) => r.ms[i]!), 0.95)) };
  });
}

function table(title: string, sites: SitePlan[], columns: Record<string, ReturnType<typeof bySite>>) {
  log(title);
  log(`  chunks  ${Object.keys(columns).map((c) => c.padEnd(30)).join('')}`);
  sites.forEach((s, i) =>
    log(`  ${String(s.size).padStart(6)}  ${Object.values(columns).map((col) => `${col[i]!.recall === null ? '' : `r ${col[i]!.recall!.toFixed(3)} `}p50 ${col[i]!.p50} p95 ${col[i]!.p95}`.padEnd(30)).join('')}`),
  );
}

/** The proposed pipeline: exact scan below the threshold, HNSW (the per-site partial index when it exists) above; the proposed text leg; RRF as today. */
async function proposedHybrid(database: Database, q: Query, k: number, hnsw: VectorMode) {
  const site = { id: q.site.id, languages: ['en'], chunkCount: q.site.size };
  return withTenant(database.db, q.site.tenantId, async (tx) => {
    const vector = await vectorLeg(tx, site.id, q.vector, 40, site.chunkCount < proposedExactBelow ? { kind: 'exact' } : hnsw);
    const text = await textLeg(tx, site, q.text, 40, { ...proposedText, df: 'table' });
    const s = new Map<number, number>();
    // RRF with k = 20 and the text leg weighted 1.5 (the best fusion in eval:retrieval).
    vector.forEach((r, i) => s.set(r.id, (s.get(r.id) ?? 0) + 1 / (21 + i)));
    text.forEach((r, i) => s.set(r.id, (s.get(r.id) ?? 0) + 1.5 / (21 + i)));
    return [...s].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, k).map(([id]) => id);
  });
}

async function main(): Promise<Record<string, unknown>> {
  const started = performance.now();
  const loadBefore = os.loadavg();
  const corpus = createCorpus(benchSpec);
  const queries = corpus.queries(perSite);
  // More questions for the sites that get a partial index, so recall per site is not decided by one miss.
  const extra = corpus.queries(partialQueries).filter((q) => q.site.size >= partialMin);
  const { url } = await prepare(corpus, { keep: true, dropExperimentIndexes: !experiments.has('partial') });
  const database = await openBenchDatabase(url);
  const owner = new pg.Pool({ connectionString: url, max: 1 });
  const out: Record<string, unknown> = { bench: 'retrieval-experiments', queries: queries.length };
  try {
    const client = await owner.connect();
    const truths: number[][] = [];
    try {
      for (const q of queries) truths.push(await exactTopK(client, q, 10));
    } finally {
      client.release();
    }
    if ((experiments.has('text') || experiments.has('hybrid')) && !(await owner.query(`select to_regclass('site_terms') as t`)).rows[0].t) {
      const t0 = performance.now();
      await createSiteTerms((text) => owner.query(text));
      log(`site_terms (per-site lexeme document frequencies, via ts_stat) built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    const inTenant = (mode: VectorMode) => (q: Query) => withTenant(database.db, q.site.tenantId, (tx) => vectorLeg(tx, q.site.id, q.vector, 40, mode)).then((rows) => rows.slice(0, 10).map((r) => r.id));

    if (experiments.has('vector')) {
      const cols: Record<string, ReturnType<typeof bySite>> = {};
      cols.exact = bySite(corpus.sites, queries, await perQuery(queries, inTenant({ kind: 'exact' }), truths));
      for (const [name, mode] of Object.entries(hnswModes)) cols[name] = bySite(corpus.sites, queries, await perQuery(queries, inTenant(mode), truths));
      table('vector leg, global HNSW index (recall@10 vs exact; ms):', corpus.sites, cols);
      out.vector = cols;
    }

    if (experiments.has('partial')) {
      const big = corpus.sites.filter((s) => s.size >= partialMin);
      const pool = new pg.Pool({ connectionString: url, max: 1 });
      try {
        for (const s of big) {
          const name = `chunks_site_hnsw_${s.index}`;
          const exists = await pool.query(`select 1 from pg_indexes where indexname = $1`, [name]);
          if (exists.rowCount) continue;
          const t0 = performance.now();
          const c = await pool.connect();
          try {
            await c.query(`set maintenance_work_mem = '512MB'`);
            await c.query('set max_parallel_maintenance_workers = 1');
            await c.query(`create index ${name} on chunks using hnsw (embedding vector_cosine_ops) with (m = 16, ef_construction = 64) where site_id = '${s.id}'`);
          } finally {
            c.release();
          }
          log(`partial HNSW for site ${s.index} (${s.size} chunks) built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
        }
        await pool.query('analyze chunks');
      } finally {
        await pool.end();
      }
      const plan = await withTenant(database.db, big[0]!.tenantId, (tx) => sql<{ 'QUERY PLAN': string }>`explain select id from chunks where site_id = ${big[0]!.id} order by embedding <=> ${`[${new Array(384).fill(0.05).join(',')}]`}::vector limit 40`.execute(tx));
      log(`plan with partial indexes: ${plan.rows.map((r) => r['QUERY PLAN']).join(' | ').replace(/\s+/g, ' ').slice(0, 160)}`);
      const bigQueries = extra;
      const bigTruths: number[][] = [];
      const c = await owner.connect();
      try {
        for (const q of bigQueries) bigTruths.push(await exactTopK(c, q, 10));
      } finally {
        c.release();
      }
      const cols: Record<string, ReturnType<typeof bySite>> = {};
      for (const [name, mode] of Object.entries({ ...hnswModes, 'ef200 off': { kind: 'hnsw', efSearch: 200, iterative: 'off' } as VectorMode, 'ef400 off': { kind: 'hnsw', efSearch: 400, iterative: 'off' } as VectorMode })) cols[name] = bySite(big, bigQueries, await perQuery(bigQueries, inTenant(mode), bigTruths));
      table(`vector leg with per-site partial HNSW indexes (sites ≥ ${partialMin} chunks):`, big, cols);
      out.partial = cols;
    }

    if (experiments.has('text')) {
      const leakproof = (on: boolean) => owner.query(`alter function pg_catalog.ts_match_vq(tsvector, tsquery) ${on ? '' : 'not '}leakproof`);
      const current = (q: Query) => timedSearch(database, q, 'fulltext', 10).then((r) => r.ids);
      const proposedWith = (df: 'count' | 'table') => (q: Query) =>
        withTenant(database.db, q.site.tenantId, (tx) => textLeg(tx, { id: q.site.id, languages: ['en'], chunkCount: q.site.size }, q.text, 40, { ...proposedText, df })).then((rows) => rows.slice(0, 10).map((r) => r.id));
      const cols: Record<string, ReturnType<typeof bySite>> = {};
      const summary: Record<string, unknown> = {};
      const ids: Record<string, number[][]> = {};
      try {
        for (const [name, lp, fn] of [['current', false, current], ['current + leakproof', true, current], ['proposed, df counted + leakproof', true, proposedWith('count')], ['proposed + leakproof', true, proposedWith('table')]] as const) {
          await leakproof(lp);
          const cpu0 = await backendCpuSeconds(database);
          const r = await perQuery(queries, fn);
          const cpu = ((await backendCpuSeconds(database)) - cpu0) * 1000 / queries.length;
          cols[name] = bySite(corpus.sites, queries, r);
          ids[name] = r.ids;
          summary[name] = { p50_ms: r1(quantile(r.ms, 0.5)), p95_ms: r1(quantile(r.ms, 0.95)), server_cpu_ms_per_query: r1(cpu) };
          log(`text ${name}: ${JSON.stringify(summary[name])} (load ${os.loadavg()[0]!.toFixed(1)})`);
        }
      } finally {
        await leakproof(false);
      }
      const overlap = queries.map((_, i) => recall(ids.current![i]!, ids['proposed + leakproof']![i]!));
      table('full-text leg (ms):', corpus.sites, cols);
      log(`top-10 overlap proposed vs current: ${r3(mean(overlap))}`);
      out.text = { ...summary, per_site: cols, overlap_with_current: r3(mean(overlap)) };
    }

    if (experiments.has('hybrid')) {
      // The GIN index on tsv is usable under row-level security only when the @@ function is LEAKPROOF
      // (a superuser setting per database): measured both ways, then put back as migrations leave it.
      const leakproof = (on: boolean) => owner.query(`alter function pg_catalog.ts_match_vq(tsvector, tsquery) ${on ? '' : 'not '}leakproof`);
      const hnsw: VectorMode = { kind: 'hnsw', efSearch: Number(process.env.BENCH_PROPOSED_EF ?? 400), iterative: 'relaxed_order', maxScanTuples: 20_000 };
      const configs: [string, boolean, (q: Query) => Promise<number[]>][] = [
        ['current (as shipped)', false, (q) => timedSearch(database, q, 'hybrid', 10).then((r) => r.ids)],
        ['current + leakproof @@', true, (q) => timedSearch(database, q, 'hybrid', 10).then((r) => r.ids)],
        ['proposed + leakproof @@', true, (q) => proposedHybrid(database, q, 10, hnsw)],
        ['proposed, not leakproof', false, (q) => proposedHybrid(database, q, 10, hnsw)],
      ];
      const summary: Record<string, unknown> = {};
      const cols: Record<string, ReturnType<typeof bySite>> = {};
      try {
        for (const [name, lp, fn] of configs) {
          await leakproof(lp);
          for (const q of queries) await fn(q); // warm-up
          const cpu0 = await backendCpuSeconds(database);
          const r = await perQuery(queries, fn, truths.map((t) => t));
          const cpu = ((await backendCpuSeconds(database)) - cpu0) * 1000 / queries.length;
          cols[name] = bySite(corpus.sites, queries, { ms: r.ms, rec: [] });
          summary[name] = { p50_ms: r1(quantile(r.ms, 0.5)), p95_ms: r1(quantile(r.ms, 0.95)), server_cpu_ms_per_query: r1(cpu) };
          log(`hybrid ${name}: ${JSON.stringify(summary[name])} (load ${os.loadavg()[0]!.toFixed(1)})`);
        }
      } finally {
        await leakproof(false);
      }
      table(`hybrid end to end (ms; per-site partial HNSW indexes present for sites ≥ ${partialMin}, which the current code's HNSW branch also uses); proposed: exact < ${proposedExactBelow}, HNSW ef ${hnsw.kind === 'hnsw' ? hnsw.efSearch : ''} relaxed above, proposed text leg (df from site_terms), RRF k=20 text x1.5:`, corpus.sites, cols);
      out.hybrid = { ...summary, per_site: cols };
    }
  } finally {
    await owner.end();
    await database.close();
  }
  return { ...out, exact_scan_below_now: exactScanBelow, wall_s: r1((performance.now() - started) / 1000), loadavg_before: loadBefore.map(r1), loadavg_after: os.loadavg().map(r1) };
}

try {
  process.stdout.write(`${JSON.stringify(await main())}\n`);
  process.exit(0);
} catch (err) {
  log(`FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
}
