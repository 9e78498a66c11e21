import { sql } from 'kysely';
import type { SearchHit } from '../../contracts/knowledge.ts';
import type { Database } from '../db/database.ts';
import { withTenant, type TenantTx } from '../db/tenant.ts';
import { queryConfigs } from './languages.ts';

export type { SearchHit } from '../../contracts/knowledge.ts';

/**
 * Below this many chunks a site gets an exact vector scan (recall 1.0); from here on its own HNSW (and
 * GIN) index. On bench:retrieval's data the exact scan costs 3.8 ms of server CPU at 2,000 chunks and
 * 5.6–6.5 ms at 4,000, the site's HNSW index at ef_search 400 2.5 ms with recall@10 1.0 at both.
 */
export const exactScanBelow = 2_000;
/**
 * HNSW candidate list on a site's own index (m 16, ef_construction 128). Recall@10 with 48 questions
 * per site on bench:retrieval's hardest site (45k clustered chunks) over two builds of its index:
 * 0.973–0.992 at 300, 0.985 at 400, 0.994 at 500; 0.994–1.0 on the other large sites from 300 on.
 */
export const hnswEfSearch = 400;
/** Fusion: RRF constant and the text leg's weight (the best of eval:retrieval's sweep on the help center). */
const rrfK = 20;
const textWeight = 1.5;

/** A pgvector literal. */
export function vectorLiteral(v: number[]): string {
  return `[${v.map((x) => (Number.isFinite(x) ? x.toFixed(6) : '0')).join(',')}]`;
}

/**
 * Where the text leg may run while the vector leg runs in the caller's transaction: a second
 * transaction of the same tenant on another connection. Used for sites with their own HNSW index
 * (≥ exactScanBelow chunks), where each leg costs several ms of database time (on bench:retrieval's
 * 57k-chunk site ~8 ms vector, ~5 ms text): the search then waits for the slower leg, not the sum.
 * Only when a connection is spare right now — a search never waits for the pool while holding one
 * (two searches each holding one and waiting for a second would stall each other); otherwise, and on
 * PGlite, the legs run one after the other as before.
 */
export interface Aside {
  database: Pick<Database, 'db' | 'spareConnections'>;
  tenantId: string;
}

/** A candidate of one leg: the chunk and the leg's value (cosine distance, or text score). */
export interface Candidate {
  id: number;
  value: number;
}

/**
 * Hybrid retrieval inside the tenant's transaction, always filtered by site: vector candidates
 * (exact scan for small sites, the site's own HNSW index for large ones) and BM25-like full-text
 * candidates, fused by weighted reciprocal rank; only the winners' rows are read.
 */
export async function hybridSearch(
  tx: TenantTx,
  site: { id: string; languages: string[]; chunkCount: number },
  /** The question, its vector and the model that made it: only chunks embedded by that model are vector candidates. */
  query: { text: string; vector: number[]; model: string },
  opts: { limit: number; candidates?: number; mode?: 'hybrid' | 'vector' | 'fulltext'; aside?: Aside },
): Promise<SearchHit[]> {
  const candidates = opts.candidates ?? Math.max(40, opts.limit * 4);
  const mode = opts.mode ?? 'hybrid';
  const { aside } = opts;
  let vector: Candidate[];
  let text: Candidate[];
  if (mode === 'hybrid' && aside && site.chunkCount >= exactScanBelow && aside.database.spareConnections() > 0) {
    const [v, t] = await Promise.allSettled([
      vectorCandidates(tx, site, query, candidates),
      withTenant(aside.database.db, aside.tenantId, (other) => textCandidates(other, site, query.text, candidates)),
    ]);
    // Both have settled: a failed leg never leaves the other running on the caller's transaction.
    if (v.status === 'rejected') throw v.reason;
    if (t.status === 'rejected') throw t.reason;
    [vector, text] = [v.value, t.value];
  } else {
    vector = mode === 'fulltext' ? [] : await vectorCandidates(tx, site, query, candidates);
    text = mode === 'vector' ? [] : await textCandidates(tx, site, query.text, candidates);
  }

  const ranked = new Map<number, { score: number; similarity: number | null; vectorRank: number | null; textRank: number | null }>();
  const entry = (id: number) => ranked.get(id) ?? ranked.set(id, { score: 0, similarity: null, vectorRank: null, textRank: null }).get(id)!;
  vector.forEach((c, i) => Object.assign(entry(c.id), { vectorRank: i + 1, similarity: 1 - c.value }).score += 1 / (rrfK + i + 1));
  text.forEach((c, i) => Object.assign(entry(c.id), { textRank: i + 1 }).score += textWeight / (rrfK + i + 1));
  const top = [...ranked].sort((a, b) => b[1].score - a[1].score || a[0] - b[0]).slice(0, opts.limit);
  if (!top.length) return [];

  const rows = await tx
    .selectFrom('chunks')
    .select(['id', 'document_id', 'text', 'heading_path', 'title', 'url', 'page'])
    .where('site_id', '=', site.id)
    .where('id', 'in', top.map(([id]) => id))
    .execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  return top.flatMap(([id, r]) => {
    const c = byId.get(id);
    return c ? [{ chunkId: id, documentId: c.document_id, text: c.text, headingPath: c.heading_path, title: c.title, url: c.url, page: c.page, ...r }] : [];
  });
}

/**
 * The vector leg: k nearest chunks of the site by cosine distance, nearest first — among the chunks
 * embedded by the question's model (after a change of model, the others wait for re-embedding).
 */
export async function vectorCandidates(tx: TenantTx, site: { id: string; chunkCount: number }, query: { vector: number[]; model: string }, k: number): Promise<Candidate[]> {
  const q = vectorLiteral(query.vector);
  if (site.chunkCount < exactScanBelow) {
    // "+ 0" keeps the planner off any HNSW index: an exact scan of this site's rows only.
    const { rows } = await sql<Candidate>`
      select c.id, (c.embedding <=> ${q}::vector) + 0 as value
      from chunks c where c.site_id = ${site.id} and c.embedding is not null and c.embedding_model = ${query.model}
      order by value, c.id limit ${k}`.execute(tx);
    return rows;
  }
  // Large sites: the site's partial HNSW index, through cloop_search_vector (migration 0012), which
  // keeps the planner from sorting the site's rows instead; until the job has built the index, the
  // same query is an exact scan.
  const { rows } = await sql<Candidate>`select id, value from cloop_search_vector(${site.id}::uuid, ${query.model}, ${q}::vector, ${k}, ${hnswEfSearch})`.execute(tx);
  return rows.map((r) => ({ id: Number(r.id), value: r.value }));
}

/** The full-text leg: cloop_search_text (migrations 0006, 0011) checks the tenant and site itself and uses the GIN index. */
export async function textCandidates(tx: TenantTx, site: { id: string; languages: string[] }, text: string, k: number): Promise<Candidate[]> {
  const configs = queryConfigs(site.languages);
  const { rows } = await sql<{ id: number; score: number }>`select id, score from cloop_search_text(${site.id}::uuid, ${configs}::text[], ${text.slice(0, 1000)}, ${k})`.execute(tx);
  return rows.map((r) => ({ id: Number(r.id), value: r.score }));
}
