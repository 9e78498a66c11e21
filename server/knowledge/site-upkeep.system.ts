import { sql } from 'kysely';
import type { Database } from '../db/database.ts';
import { withSystem } from '../db/tenant.ts';
import { exactScanBelow } from './retrieval.ts';

// What the knowledge-site-upkeep job keeps in shape for retrieval, across tenants (a reviewed
// cross-tenant module): each large site's own HNSW index, and each site's lexeme statistics.

// Per-site partial indexes. A global HNSW index filtered by site loses recall (0.74 at default
// settings on 200k chunks in 20 sites) and every chunk insert pays for it; a site's own index holds
// only its rows, so it needs no filtering inside the index. Built with ef_construction 128: on
// bench:retrieval's hardest site (45k chunks, 48 questions) recall@10 at ef_search 400 is 0.985–0.998,
// where ef_construction 64 gave 0.967.
// Full text needs no per-site index: `chunks_site_tsv` (migration 0013) is keyed by site.

/** A site with at least this many chunks gets its own index (below it retrieval scans exactly). */
export const partialIndexFrom = exactScanBelow;
/** …and loses it again only below this (no rebuild flapping around the threshold). */
export const partialIndexDropBelow = exactScanBelow / 2;

/** The name prefix of the sites' partial HNSW indexes, and how they are built. */
export const siteIndexPrefix = 'chunks_hnsw_site_';
const siteIndexDefinition = 'using hnsw (embedding vector_cosine_ops) with (m = 16, ef_construction = 128)';
/**
 * Per-site indexes of earlier versions. An HNSW one stays until its site's current index is valid
 * (until then it still serves the site's searches); the GIN ones go at once.
 */
const retired = [
  { prefix: 'chunks_embedding_site_', untilReplaced: true },
  { prefix: 'chunks_tsv_site_', untilReplaced: false },
] as const;

/** The name of a site's partial HNSW index (the uuid without dashes: 49 characters, under PostgreSQL's 63). */
export function siteIndexName(siteId: string): string {
  return `${siteIndexPrefix}${siteId.replaceAll('-', '').toLowerCase()}`;
}

/** What a reconcile did. */
export interface ReconcileResult {
  created: string[];
  dropped: string[];
}

/**
 * Makes the partial indexes match the sites: builds one for every site with ≥ partialIndexFrom
 * chunks that lacks a valid one, drops those of deleted sites, of sites below partialIndexDropBelow
 * and of earlier versions. Runs as the owner (DDL). On PostgreSQL the build is CONCURRENTLY (chunk
 * writes go on); PGlite has no CONCURRENTLY and one connection, so there the build is plain and
 * holds every other query back while it runs (seconds per 10k chunks).
 */
export async function reconcileSiteIndexes(database: Pick<Database, 'kind' | 'db' | 'executeSql'>): Promise<ReconcileResult> {
  // The reviewed cross-tenant read: which sites are large (ids and counts only).
  const sites = await withSystem(database.db, (tx) => tx.selectFrom('sites').select(['id', 'chunk_count']).execute());
  const wanted = new Map(sites.map((s) => [siteIndexName(s.id), { id: s.id, chunks: s.chunk_count }]));
  const { rows } = await database.executeSql(
    `select i.relname as name, x.indisvalid as valid from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid
     where t.relname = 'chunks' and i.relname like any($1)`,
    [[siteIndexPrefix, ...retired.map((r) => r.prefix)].map((prefix) => `${prefix}%`)],
  );
  const existing = new Map((rows as { name: string; valid: boolean }[]).map((r) => [r.name, r.valid]));
  const concurrently = database.kind === 'postgres' ? 'concurrently ' : '';
  const result: ReconcileResult = { created: [], dropped: [] };
  const drop = async (name: string) => {
    await database.executeSql(`drop index ${concurrently}if exists ${name}`);
    existing.delete(name);
    result.dropped.push(name);
  };
  for (const [name, valid] of existing) {
    if (!name.startsWith(siteIndexPrefix)) continue;
    const site = wanted.get(name);
    // An invalid index is what an interrupted CONCURRENTLY build leaves: drop it and build again.
    if (!site || site.chunks < partialIndexDropBelow || !valid) await drop(name);
  }
  for (const [name, site] of wanted) {
    if (site.chunks < partialIndexFrom || existing.has(name)) continue;
    try {
      // site.id comes from the uuid column: safe to inline (the planner needs a literal predicate).
      await database.executeSql(`create index ${concurrently}if not exists ${name} on chunks ${siteIndexDefinition} where site_id = '${site.id}'`);
      existing.set(name, true);
      result.created.push(name);
    } catch (err) {
      // The site went away meanwhile, or another worker builds the same index: the next run settles it.
      if (!['23505', '42P07', '40P01', '55P03'].includes((err as { code?: string }).code ?? '')) throw err;
    }
  }
  for (const name of [...existing.keys()]) {
    const old = retired.find((r) => name.startsWith(r.prefix));
    if (!old) continue;
    const current = `${siteIndexPrefix}${name.slice(old.prefix.length)}`;
    if (!old.untilReplaced || existing.get(current) === true || !wanted.has(current) || wanted.get(current)!.chunks < partialIndexDropBelow) await drop(name);
  }
  return result;
}

/**
 * Recounts site_terms (chunks per lexeme) for every site whose chunks changed since its last count:
 * a different chunk count, or a document stored after the count. One transaction per site, so a
 * search sees the old or the new statistics, never half. Runs as cloop_system (no owner rights).
 * The statistics only weight query words, so they may lag: a page committed while its site is being
 * counted, with an older timestamp than one counted, waits for the site's next change.
 */
export async function refreshSiteTerms(database: Pick<Database, 'db'>): Promise<string[]> {
  const { rows } = await withSystem(database.db, (tx) =>
    sql<{ id: string }>`
      select s.id from sites s
      where s.chunk_count <> s.terms_chunk_count
         or exists (select 1 from documents d where d.site_id = s.id and (s.terms_refreshed_at is null or d.updated_at > s.terms_refreshed_at))`.execute(tx),
  );
  for (const { id } of rows)
    await withSystem(database.db, async (tx) => {
      // Two workers refreshing one site would both insert the same rows.
      await sql`select pg_advisory_xact_lock(7246006, hashtext(${id}))`.execute(tx);
      await sql`delete from site_terms where site_id = ${id}`.execute(tx);
      await sql`
        insert into site_terms (tenant_id, site_id, lexeme, ndoc)
        select c.tenant_id, c.site_id, l.lexeme, count(*) from chunks c, unnest(tsvector_to_array(c.tsv)) l (lexeme)
        where c.site_id = ${id} group by 1, 2, 3`.execute(tx);
      // The newest document counted (the documents' own clock), so the next run compares like with like.
      await sql`update sites set terms_chunk_count = chunk_count, terms_refreshed_at = coalesce((select max(updated_at) from documents where site_id = ${id}), now()) where id = ${id}`.execute(tx);
    });
  return rows.map((r) => r.id);
}
