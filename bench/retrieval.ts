import os from 'node:os';
import pg from 'pg';
import { exactScanBelow, hnswEfSearch, vectorLiteral } from '../server/knowledge/retrieval.ts';
import { createCorpus } from './retrieval-data.ts';
import { adminQuery, openBenchDatabase } from './retrieval-db.ts';
import { siteIndexPrefix } from '../server/knowledge/site-upkeep.system.ts';
import { adminUrl, backendCpuSeconds, benchSpec, created, exactTopK, keep, perSite, prepare, quantile, recall, timedSearch } from './retrieval-setup.ts';
import { benchLog, runBench } from './run.ts';

// `npm run bench:retrieval`: 200,000 synthetic chunks (clustered 384-d vectors, topic texts) in 20
// sites of skewed sizes on PostgreSQL, then questions through the real hybridSearch inside withTenant.
// Reports hybrid latency, recall@10 of the vector leg against an exact scan under the site filter
// (worst site), and the naive baseline in the same run: one global HNSW index and a plain ORDER BY
// under the site filter with default settings. Production's indexes are built by production code (the
// per-site index job); the text leg is the SECURITY DEFINER function of migration 0006.
// One JSON line on stdout; the per-site table and progress on stderr.
// Knobs: CLOOP_BENCH_DATABASE_URL (admin URL, default postgres://postgres@127.0.0.1:5432/),
// BENCH_QUERIES_PER_SITE (12), BENCH_PASSES (3 timed hybrid passes), BENCH_SCALE (1 = 200k chunks), BENCH_RETRIEVAL_KEEP_DB=1 (keep the
// database `cloop_bench_retrieval` and reuse it when its corpus matches; for experiments).

const limit = 10;
const passes = Number(process.env.BENCH_PASSES ?? 3);
const log = benchLog('bench:retrieval');
const round1 = (x: number) => Math.round(x * 10) / 10;
const round2 = (x: number) => Math.round(x * 100) / 100;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

interface SiteRow {
  site: number;
  chunks: number;
  method: string;
  queries: number;
  recall: number;
  naiveRecall: number;
  naiveShort: number;
  p50: number;
  p95: number;
  bestP95: number;
  vectorP95: number;
  textP95: number;
  exactP95: number;
}

process.once('SIGINT', () => {
  const name = created.name;
  const done = () => process.exit(130);
  if (!name || keep) return done();
  adminQuery(adminUrl, `drop database if exists ${name} with (force)`).then(done, done);
});

async function main(): Promise<Record<string, unknown>> {
  const startedAt = performance.now();
  const loadBefore = os.loadavg();
  const corpus = createCorpus(benchSpec);
  const queries = corpus.queries(perSite);
  const total = benchSpec.siteSizes.reduce((a, b) => a + b, 0);
  log(`${total} chunks in ${benchSpec.siteSizes.length} sites, ${queries.length} queries; exactScanBelow = ${exactScanBelow}`);
  let prepared: Awaited<ReturnType<typeof prepare>>;
  try {
    prepared = await prepare(corpus);
  } catch (err) {
    if (created.name && !keep) await adminQuery(adminUrl, `drop database if exists ${created.name} with (force)`).catch(() => {});
    throw err;
  }
  const { name, url, timings } = prepared;
  const database = await openBenchDatabase(url);
  const owner = new pg.Pool({ connectionString: url, max: 1 });
  try {
    const client = await owner.connect();
    const plan = await client.query(`explain select id from chunks where site_id = $1 order by embedding <=> $2::vector limit 40`, [corpus.sites[0]!.id, vectorLiteral(queries[0]!.vector)]);
    log(`plan of the largest site's vector query (owner, per-site indexes): ${plan.rows.map((r) => r['QUERY PLAN']).join(' | ').replace(/\s+/g, ' ').slice(0, 200)}`);
    const truths: number[][] = [];
    const exactMs: number[] = [];
    const naive: number[] = [];
    const naiveShort: boolean[] = [];
    let baselineBuildS = 0;
    try {
      for (const q of queries) {
        const t0 = performance.now();
        truths.push(await exactTopK(client, q, limit));
        exactMs.push(performance.now() - t0);
      }
      log(`exact ground truth for ${queries.length} queries`);
      // The baseline: one global HNSW index (what migration 0003 had) and the plain query under the
      // site filter with default settings, as cloop_app under RLS. The per-site indexes are dropped
      // inside that transaction only (rolled back after); the global index is dropped afterwards.
      const t0 = performance.now();
      await client.query(`create index bench_unfiltered_hnsw on chunks using hnsw (embedding vector_cosine_ops) with (m = 16, ef_construction = 64)`);
      baselineBuildS = (performance.now() - t0) / 1000;
      log(`baseline global HNSW index built in ${baselineBuildS.toFixed(1)} s`);
      await client.query('begin');
      try {
        const partial = await client.query<{ indexname: string }>(`select indexname from pg_indexes where tablename = 'chunks' and indexname like $1`, [`${siteIndexPrefix}%`]);
        for (const { indexname } of partial.rows) await client.query(`drop index ${indexname}`);
        await client.query('set local role cloop_app');
        const naiveQuery = 'select id from chunks where site_id = $1 order by embedding <=> $2::vector limit $3';
        for (const q of queries) {
          await client.query(`select set_config('app.tenant_id', $1, true)`, [q.site.tenantId]);
          if (q === queries[0]) {
            const plan = await client.query(`explain ${naiveQuery}`, [q.site.id, vectorLiteral(q.vector), limit]);
            log(`baseline plan: ${plan.rows.map((r) => r['QUERY PLAN']).join(' | ').replace(/\s+/g, ' ').slice(0, 200)}`);
          }
          const ids = (await client.query<{ id: number }>(naiveQuery, [q.site.id, vectorLiteral(q.vector), limit])).rows.map((r) => Number(r.id));
          naive.push(recall(truths[naive.length]!, ids));
          naiveShort.push(ids.length < limit);
        }
      } finally {
        await client.query('rollback');
      }
      await client.query('drop index bench_unfiltered_hnsw');
      await client.query('analyze chunks');
    } finally {
      client.release();
    }

    // The legs alone (their recall and latency), then hybrid: one warm-up pass, one timed pass.
    const vectorRecall: number[] = [];
    const vectorMs: number[] = [];
    const textMs: number[] = [];
    for (const [i, q] of queries.entries()) {
      const v = await timedSearch(database, q, 'vector');
      vectorRecall.push(recall(truths[i]!, v.ids));
      vectorMs.push(v.ms);
      textMs.push((await timedSearch(database, q, 'fulltext')).ms);
    }
    for (const q of queries) await timedSearch(database, q, 'hybrid');
    // Timed passes: the first is the headline; the best of all passes per query estimates an idle machine.
    const hybridMs: number[] = [];
    const bestMs: number[] = [];
    const cpuBefore = await backendCpuSeconds(database);
    for (let pass = 0; pass < passes; pass++)
      for (const [i, q] of queries.entries()) {
        const { ms } = await timedSearch(database, q, 'hybrid');
        if (pass === 0) hybridMs.push(ms);
        bestMs[i] = Math.min(bestMs[i] ?? Infinity, ms);
      }
    const cpuPerQueryMs = ((await backendCpuSeconds(database)) - cpuBefore) * 1000 / (passes * queries.length);

    const rows: SiteRow[] = corpus.sites.map((site) => {
      const idx = queries.flatMap((q, i) => (q.site === site ? [i] : []));
      const pickN = (xs: number[]) => idx.map((i) => xs[i]!);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      return {
        site: site.index,
        chunks: site.size,
        method: site.size < exactScanBelow ? 'exact' : 'hnsw',
        queries: idx.length,
        recall: mean(pickN(vectorRecall)),
        naiveRecall: mean(pickN(naive)),
        naiveShort: idx.filter((i) => naiveShort[i]).length,
        p50: quantile(pickN(hybridMs), 0.5),
        p95: quantile(pickN(hybridMs), 0.95),
        bestP95: quantile(pickN(bestMs), 0.95),
        vectorP95: quantile(pickN(vectorMs), 0.95),
        textP95: quantile(pickN(textMs), 0.95),
        exactP95: quantile(pickN(exactMs), 0.95),
      };
    });
    log('site  chunks  method  recall@10  naive@10  naive<10  hybrid p50/p95 ms  best-of p95  vector p95  text p95  exact-scan p95');
    for (const r of rows)
      log(
        `${String(r.site).padStart(4)} ${String(r.chunks).padStart(7)}  ${r.method.padEnd(6)}  ${r.recall.toFixed(3).padStart(9)}  ${r.naiveRecall.toFixed(3).padStart(8)}  ${String(r.naiveShort).padStart(8)}  ${r.p50.toFixed(1).padStart(8)} / ${r.p95.toFixed(1).padEnd(6)}  ${r.bestP95.toFixed(1).padStart(11)}  ${r.vectorP95.toFixed(1).padStart(10)}  ${r.textP95.toFixed(1).padStart(8)}  ${r.exactP95.toFixed(1).padStart(14)}`,
      );
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const worst = rows.reduce((a, b) => (b.recall < a.recall ? b : a));
    const worstNaive = rows.reduce((a, b) => (b.naiveRecall < a.naiveRecall ? b : a));
    const slowest = rows.reduce((a, b) => (b.p95 > a.p95 ? b : a));
    return {
      bench: 'retrieval',
      chunks: total,
      sites: rows.length,
      queries: queries.length,
      p50_ms: round2(quantile(hybridMs, 0.5)),
      p95_ms: round2(quantile(hybridMs, 0.95)),
      p99_ms: round2(quantile(hybridMs, 0.99)),
      p50_ms_best_of_passes: round2(quantile(bestMs, 0.5)),
      p95_ms_best_of_passes: round2(quantile(bestMs, 0.95)),
      server_cpu_ms_per_query: round2(cpuPerQueryMs),
      p95_ms_worst_site: round2(slowest.p95),
      worst_latency_site_chunks: slowest.chunks,
      recall_at_10_min: round3(worst.recall),
      recall_at_10_min_site_chunks: worst.chunks,
      recall_at_10_mean: round3(mean(vectorRecall)),
      recall_at_10_unfiltered_index: round3(worstNaive.naiveRecall),
      recall_at_10_unfiltered_index_mean: round3(mean(naive)),
      unfiltered_index_short_results: naiveShort.filter(Boolean).length,
      vector_leg_p95_ms: round2(quantile(vectorMs, 0.95)),
      text_leg_p95_ms: round2(quantile(textMs, 0.95)),
      exact_scan_p95_ms: round2(quantile(exactMs, 0.95)),
      exact_scan_below: exactScanBelow,
      hnsw_ef_search: hnswEfSearch,
      baseline_global_hnsw_build_s: round1(baselineBuildS),
      ...(timings ? Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, round1(v)])) : { reused_database: true }),
      wall_s: round1((performance.now() - startedAt) / 1000),
      loadavg_before: loadBefore.map(round2),
      loadavg_after: os.loadavg().map(round2),
      cpus: os.availableParallelism(),
      postgres: (await adminQuery(adminUrl, 'show server_version')).rows[0].server_version,
      shared_buffers: (await adminQuery(adminUrl, 'show shared_buffers')).rows[0].shared_buffers,
      pgvector: (await adminQuery(url, `select extversion from pg_extension where extname = 'vector'`)).rows[0]?.extversion,
    };
  } finally {
    await owner.end();
    await database.close();
    if (!keep) await adminQuery(adminUrl, `drop database if exists ${name} with (force)`).catch((err) => log(`could not drop ${name}: ${(err as Error).message}`));
  }
}

await runBench('bench:retrieval', main);
