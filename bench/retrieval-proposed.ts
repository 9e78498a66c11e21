import { sql } from 'kysely';
import type { TenantTx } from '../server/db/tenant.ts';
import { queryConfigs } from '../server/knowledge/languages.ts';
import { vectorLiteral } from '../server/knowledge/retrieval.ts';

// Candidate replacements for the two legs of server/knowledge/retrieval.ts, measured by
// bench/retrieval-experiments.ts (latency, recall on 200k chunks) and bench/eval-retrieval.ts
// (answer quality on the help center). Nothing here is used by the server.

/** Settings of the proposed full-text leg. */
export interface TextLegOptions {
  /** ts_rank weights for D, C (chunk text), B (heading path), A (page title). PostgreSQL's default is 0.1, 0.2, 0.4, 1.0. */
  weights: [number, number, number, number];
  /** A query word found in at least this many of the site's chunks is "common": it still scores, but does not pull in candidates. */
  commonAt: number;
  /** …or in at least this share of them (never below 50 chunks), so that small sites do not rank their whole content for "the product name". */
  commonShare: number;
  /** Rows of the site sampled to spot common words before counting (default 1000; a site this small is counted exactly from the sample). */
  sample?: number;
  /** Where document frequencies come from: counted per query (sample + GIN), or a per-site table kept by the indexer (`site_terms`, see createSiteTerms). */
  df?: 'count' | 'table';
  /** ts_rank's normalization flags (0: none; 1: divide by 1 + log(length), what textCandidates uses today). */
  normalization?: number;
}

/** The proposal: heading and text count more than PostgreSQL's defaults, no length normalization, words common in the site stop generating candidates. */
export const proposedText: TextLegOptions = { weights: [0.1, 0.5, 0.7, 1.0], commonAt: 2_000, commonShare: 0.2, normalization: 0 };

/**
 * The proposed full-text leg: BM25-like scoring in one statement. Each query lexeme (in every language
 * of the site) is its own tsquery. Its document frequency in the site is first estimated from a
 * sample of the site's rows (one pass for all words); a word the sample shows to be common keeps
 * that estimate, the others are counted through the GIN index (at most `commonAt` rows each), so a
 * word that is everywhere never walks its whole posting list. Candidates are the chunks matching a
 * non-common word (for a small site: every match); a chunk scores sum(idf × ts_rank(weights, tsv, word)).
 * When every word is common, the chunks matching all of them (AND) are the candidates instead.
 */
export async function textLeg(tx: TenantTx, site: { id: string; languages: string[]; chunkCount: number }, text: string, k: number, opts: TextLegOptions = proposedText) {
  const words = text.slice(0, 1000);
  const configs = queryConfigs(site.languages);
  const lexemes = sql.join(
    configs.map((c) => sql`select unnest(tsvector_to_array(to_tsvector(${c}::regconfig, ${words}))) as lexeme`),
    sql` union `,
  );
  const all = sql.join(configs.map((c) => sql`plainto_tsquery(${c}::regconfig, ${words})`), sql` || `);
  const weights = sql.raw(`'{${opts.weights.join(',')}}'::float4[]`);
  const n = Math.max(site.chunkCount, 1);
  const common = Math.min(opts.commonAt, Math.max(50, Math.round(opts.commonShare * n)));
  const sample = opts.sample ?? 1_000;
  const fromTable = sql`
    counted as (
      select t.tq, coalesce(s.ndoc, 0)::float8 as df from terms t
      left join site_terms s on s.site_id = ${site.id} and s.lexeme = t.lexeme
    )`;
  const fromCount = sql`
    sampled as (
      select c.tsv from chunks c where c.site_id = ${site.id} limit ${sample}
    ), estimated as (
      select t.tq, count(*) filter (where s.tsv @@ t.tq)::float8 * ${n}::float8 / greatest(count(*), 1) as df_estimate, count(*) as sampled
      from terms t cross join sampled s group by t.tq
    ), counted as (
      select e.tq, case
        when e.sampled >= ${n} then e.df_estimate -- the sample was the whole site: exact
        when e.df_estimate >= ${opts.commonAt} then e.df_estimate
        else (select count(*)::float8 from (select 1 from chunks c where c.site_id = ${site.id} and c.tsv @@ e.tq limit ${opts.commonAt}) m)
      end as df
      from estimated e
    )`;
  const { rows } = await sql<{ id: number; value: number }>`
    with terms as (
      select distinct lexeme, quote_literal(lexeme)::tsquery as tq from (${lexemes}) l
    ), ${opts.df === 'table' ? fromTable : fromCount}, w as (
      select tq, ln(1 + (greatest(${n}::float8, df) - df + 0.5) / (df + 0.5)) as idf, df < ${common} as selective from counted where df > 0
    ), candidates as (
      select c.id from chunks c join w on c.tsv @@ w.tq where c.site_id = ${site.id} and w.selective
      union
      select c.id from chunks c where not exists (select 1 from w where w.selective) and c.site_id = ${site.id} and c.tsv @@ (${all})
    )
    select c.id, sum(w.idf * ts_rank(${weights}, c.tsv, w.tq, ${opts.normalization ?? 0})) as value
    from candidates x join chunks c on c.id = x.id join w on c.tsv @@ w.tq
    group by c.id order by value desc, c.id limit ${k}`.execute(tx);
  return rows;
}

/** How the vector leg searches: an exact scan, or HNSW with given settings. */
export type VectorMode = { kind: 'exact' } | { kind: 'hnsw'; efSearch: number; iterative: 'off' | 'relaxed_order' | 'strict_order'; maxScanTuples?: number };

/** The vector leg with explicit settings (the current code is exact below 20k chunks, else HNSW ef 200 relaxed, 50k tuples). */
export async function vectorLeg(tx: TenantTx, siteId: string, vector: number[], k: number, mode: VectorMode) {
  const q = vectorLiteral(vector);
  if (mode.kind === 'exact') {
    const { rows } = await sql<{ id: number; value: number }>`
      select c.id, (c.embedding <=> ${q}::vector) + 0 as value
      from chunks c where c.site_id = ${siteId} and c.embedding is not null
      order by value limit ${k}`.execute(tx);
    return rows;
  }
  await sql`select set_config('hnsw.ef_search', ${String(mode.efSearch)}, true), set_config('hnsw.iterative_scan', ${mode.iterative}, true), set_config('hnsw.max_scan_tuples', ${String(mode.maxScanTuples ?? 20_000)}, true)`.execute(tx);
  const { rows } = await sql<{ id: number; value: number }>`
    select * from (
      select c.id, c.embedding <=> ${q}::vector as value
      from chunks c where c.site_id = ${siteId}
      order by c.embedding <=> ${q}::vector limit ${k}
    ) t order by value`.execute(tx);
  return rows;
}

/**
 * Builds the per-site lexeme statistics the `df: 'table'` variant reads (what the indexer would keep
 * up to date per stored/removed chunk): document frequency of every lexeme per site, tenant-scoped
 * with the same forced row-level security as chunks.
 */
export async function createSiteTerms(run: (text: string) => Promise<unknown>): Promise<void> {
  await run(`create table if not exists site_terms (tenant_id uuid not null, site_id uuid not null, lexeme text not null, ndoc int not null, primary key (site_id, lexeme))`);
  await run(`truncate site_terms`);
  await run(`insert into site_terms select s.tenant_id, s.id, t.word, t.ndoc from sites s, ts_stat(format('select tsv from chunks where site_id = %L', s.id)) t`);
  await run(`grant select on site_terms to cloop_app, cloop_system`);
  await run(`alter table site_terms enable row level security`);
  await run(`alter table site_terms force row level security`);
  await run(`drop policy if exists tenant_isolation on site_terms`);
  await run(`create policy tenant_isolation on site_terms to cloop_app using (tenant_id = cloop_tenant_id())`);
  await run(`analyze site_terms`);
}
