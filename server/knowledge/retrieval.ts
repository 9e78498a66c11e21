import { sql } from 'kysely';
import type { TenantTx } from '../db/tenant.ts';
import { queryConfigs } from './languages.ts';

/** One retrieved passage with everything a citation needs and how it ranked. */
export interface SearchHit {
  chunkId: number;
  documentId: string;
  text: string;
  headingPath: string[];
  title: string;
  url: string;
  page: number | null;
  /** Reciprocal-rank-fusion score (higher is better). */
  score: number;
  /** Cosine similarity of the vector match, when it was a vector candidate. */
  similarity: number | null;
  vectorRank: number | null;
  textRank: number | null;
}

/** Below this many chunks a site gets an exact vector scan (recall 1.0 and still fast). */
export const exactScanBelow = 20_000;
const rrfK = 60;

/** A pgvector literal. */
export function vectorLiteral(v: number[]): string {
  return `[${v.map((x) => (Number.isFinite(x) ? x.toFixed(6) : '0')).join(',')}]`;
}

type Row = { id: number; document_id: string; text: string; heading_path: string[]; title: string; url: string; page: number | null; value: number };

/**
 * Hybrid retrieval inside the tenant's transaction, always filtered by site: vector candidates
 * (exact scan for small sites, HNSW with iterative scan for large ones) and full-text candidates
 * (OR of the query's words in each of the site's languages), fused by reciprocal rank.
 */
export async function hybridSearch(
  tx: TenantTx,
  site: { id: string; languages: string[]; chunkCount: number },
  query: { text: string; vector: number[] },
  opts: { limit: number; candidates?: number; mode?: 'hybrid' | 'vector' | 'fulltext' },
): Promise<SearchHit[]> {
  const candidates = opts.candidates ?? Math.max(40, opts.limit * 4);
  const mode = opts.mode ?? 'hybrid';
  const vectorRows = mode === 'fulltext' ? [] : await vectorCandidates(tx, site, query.vector, candidates);
  const textRows = mode === 'vector' ? [] : await textCandidates(tx, site, query.text, candidates);

  const hits = new Map<number, SearchHit>();
  const add = (rows: Row[], kind: 'vector' | 'text') =>
    rows.forEach((r, i) => {
      const hit =
        hits.get(r.id) ??
        ({ chunkId: r.id, documentId: r.document_id, text: r.text, headingPath: r.heading_path, title: r.title, url: r.url, page: r.page, score: 0, similarity: null, vectorRank: null, textRank: null } satisfies SearchHit);
      hit.score += 1 / (rrfK + i + 1);
      if (kind === 'vector') {
        hit.vectorRank = i + 1;
        hit.similarity = 1 - r.value;
      } else hit.textRank = i + 1;
      hits.set(r.id, hit);
    });
  add(vectorRows, 'vector');
  add(textRows, 'text');
  return [...hits.values()].sort((a, b) => b.score - a.score || a.chunkId - b.chunkId).slice(0, opts.limit);
}

const columns = sql`c.id, c.document_id, c.text, c.heading_path, c.title, c.url, c.page`;

async function vectorCandidates(tx: TenantTx, site: { id: string; chunkCount: number }, vector: number[], k: number): Promise<Row[]> {
  const q = vectorLiteral(vector);
  if (site.chunkCount < exactScanBelow) {
    // "+ 0" keeps the planner off the HNSW index: an exact scan of this site's rows only.
    const { rows } = await sql<Row>`
      select ${columns}, (c.embedding <=> ${q}::vector) + 0 as value
      from chunks c where c.site_id = ${site.id} and c.embedding is not null
      order by value limit ${k}`.execute(tx);
    return rows;
  }
  // Large sites: HNSW, continuing the scan until enough rows pass the site filter.
  await sql`select set_config('hnsw.ef_search', '200', true), set_config('hnsw.iterative_scan', 'relaxed_order', true), set_config('hnsw.max_scan_tuples', '50000', true)`.execute(tx);
  const { rows } = await sql<Row>`
    select * from (
      select ${columns}, c.embedding <=> ${q}::vector as value
      from chunks c where c.site_id = ${site.id}
      order by c.embedding <=> ${q}::vector limit ${k}
    ) t order by value`.execute(tx);
  return rows;
}

async function textCandidates(tx: TenantTx, site: { id: string; languages: string[] }, text: string, k: number): Promise<Row[]> {
  const words = text.slice(0, 1000);
  const configs = queryConfigs(site.languages);
  // Any word may match (OR), in every language of the site; ranking rewards the ones matching more.
  const parts = configs.map((c) => sql`to_tsquery(${c}::regconfig, replace(plainto_tsquery(${c}::regconfig, ${words})::text, ' & ', ' | '))`);
  const tsquery = sql.join(parts, sql` || `);
  const { rows } = await sql<Row>`
    with q as (select ${tsquery} as query)
    select ${columns}, ts_rank_cd(c.tsv, q.query, 1) as value
    from chunks c, q
    where c.site_id = ${site.id} and c.tsv @@ q.query
    order by value desc, c.id limit ${k}`.execute(tx);
  return rows;
}
