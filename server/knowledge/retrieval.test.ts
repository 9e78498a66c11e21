import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/harness.ts';
import type { Database } from '../db/database.ts';
import { withSystem, withTenant } from '../db/tenant.ts';
import { createLocalEmbedder } from '../platform/embeddings/local.ts';
import { exactScanBelow, hybridSearch, textCandidates, vectorCandidates } from './retrieval.ts';
import { reconcileSiteIndexes, refreshSiteTerms, siteIndexName } from './site-upkeep.system.ts';
import { storeDocument } from './store.ts';

// The production retrieval path on a real database: the BM25-like text leg behind the SECURITY
// DEFINER function (tenant and site enforced by the function itself), the site_terms statistics the
// upkeep job counts, fusion, and the per-site partial HNSW indexes.

let database: Database;
const embedder = createLocalEmbedder();

interface Fixture {
  tenantId: string;
  siteId: string;
  sourceId: string;
}

async function newTenantSite(name: string): Promise<Fixture> {
  const tenantId = await withSystem(database.db, async (tx) => (await tx.insertInto('tenants').values({ name }).returning('id').executeTakeFirstOrThrow()).id);
  return withTenant(database.db, tenantId, async (tx) => {
    const siteId = (await tx.insertInto('sites').values({ tenant_id: tenantId, name, embed_key: `k-${tenantId}` }).returning('id').executeTakeFirstOrThrow()).id;
    const sourceId = (await tx.insertInto('sources').values({ tenant_id: tenantId, site_id: siteId, kind: 'page', url: 'https://example.com/' }).returning('id').executeTakeFirstOrThrow()).id;
    return { tenantId, siteId, sourceId };
  });
}

async function store(f: Fixture, url: string, title: string, texts: string[]): Promise<void> {
  const { vectors } = await embedder.embed(texts, { purpose: 'document' });
  await storeDocument(database.db, {
    ...f,
    url,
    title,
    language: 'en',
    hash: `${url}:${texts.join('|')}`,
    etag: null,
    lastModified: null,
    tsConfig: 'english',
    chunks: texts.map((text, ordinal) => ({ ordinal, text, headingPath: [title], wordCount: text.split(' ').length, tokenEstimate: text.length / 4 })),
    vectors,
    embeddingModel: embedder.model,
    generation: 1,
    links: [],
  });
}

/** site_terms as stored, and as a recount from the chunks (what the triggers must keep equal). */
async function termsOf(f: Fixture) {
  return withTenant(database.db, f.tenantId, async (tx) => {
    const stored = await sql<{ lexeme: string; ndoc: number }>`select lexeme, ndoc from site_terms where site_id = ${f.siteId} and ndoc > 0 order by lexeme`.execute(tx);
    const counted = await sql<{ lexeme: string; ndoc: number }>`
      select l.lexeme, count(*)::int as ndoc from chunks c, unnest(tsvector_to_array(c.tsv)) l (lexeme)
      where c.site_id = ${f.siteId} group by 1 order by 1`.execute(tx);
    return { stored: stored.rows, counted: counted.rows };
  });
}

const search = async (f: Fixture, text: string, mode: 'hybrid' | 'vector' | 'fulltext' = 'hybrid', limit = 5) => {
  const { vectors } = await embedder.embed([text], { purpose: 'query' });
  return withTenant(database.db, f.tenantId, async (tx) => {
    const site = await tx.selectFrom('sites').select(['id', 'chunk_count']).where('id', '=', f.siteId).executeTakeFirstOrThrow();
    return hybridSearch(tx, { id: site.id, languages: ['en'], chunkCount: site.chunk_count }, { text, vector: vectors[0]!, model: embedder.model }, { limit, mode });
  });
};

let a: Fixture;
let b: Fixture;

beforeAll(async () => {
  database = await openTestDatabase();
  a = await newTenantSite('tenant A');
  b = await newTenantSite('tenant B');
  await store(a, 'https://a.example/orchids', 'Orchid care', ['Water orchids once a week with lukewarm water.', 'Repot orchids in bark after flowering.']);
  await store(a, 'https://a.example/ferns', 'Fern care', ['Ferns like shade and humid air.', 'Mist ferns every morning in summer.']);
  await store(a, 'https://a.example/cacti', 'Cactus care', ['Cacti need sun and very little water in winter.']);
  // Tenant B has the same words: nothing of it may ever come back to A.
  await store(b, 'https://b.example/orchids', 'Orchid secrets of B', ['B waters orchids with rain water only. Secret orchid fertilizer recipe.']);
  await refreshSiteTerms(database);
});
afterAll(() => database?.close());

describe('site_terms (per-site document frequencies for the text leg)', () => {
  it('the upkeep job recounts changed sites only, and equals a recount after inserts, a re-indexed page and removals', async () => {
    const f = await newTenantSite('terms');
    await store(f, 'https://t.example/1', 'Gardening', ['Tomatoes need sun.', 'Tomatoes need water and tomatoes need stakes.']);
    await store(f, 'https://t.example/2', 'Roses', ['Roses need pruning in spring.']);
    expect(await refreshSiteTerms(database)).toContain(f.siteId);
    let t = await termsOf(f);
    expect(t.stored.find((r) => r.lexeme === 'tomato')?.ndoc).toBe(2);
    expect(t.stored).toEqual(t.counted);
    expect(await refreshSiteTerms(database)).not.toContain(f.siteId);
    // Re-indexing a changed page replaces its chunks (same chunk count): the next run recounts.
    await store(f, 'https://t.example/1', 'Gardening', ['Peppers need warmth.', 'Peppers need sun.']);
    expect(await refreshSiteTerms(database)).toContain(f.siteId);
    t = await termsOf(f);
    expect(t.stored.find((r) => r.lexeme === 'tomato')).toBeUndefined();
    expect(t.stored).toEqual(t.counted);
    // Deleting the source removes its documents and chunks (cascade) and lowers the site's count.
    await withTenant(database.db, f.tenantId, async (tx) => {
      await tx.deleteFrom('sources').where('id', '=', f.sourceId).execute();
      await tx.updateTable('sites').set({ chunk_count: 0 }).where('id', '=', f.siteId).execute();
    });
    expect(await refreshSiteTerms(database)).toContain(f.siteId);
    t = await termsOf(f);
    expect(t.counted).toEqual([]);
    expect(t.stored).toEqual([]);
  });

  it('words stored since the last count are still found (counted live)', async () => {
    const f = await newTenantSite('fresh');
    await store(f, 'https://f.example/1', 'Bees', ['Bees make honey in the hive.']);
    await refreshSiteTerms(database);
    await store(f, 'https://f.example/2', 'Wasps', ['Wasps build paper nests.']);
    const hits = await withTenant(database.db, f.tenantId, (tx) => textCandidates(tx, { id: f.siteId, languages: ['en'] }, 'paper nests', 10));
    expect(hits.length).toBe(1);
  });

  it('is tenant-scoped: another tenant sees none of its rows', async () => {
    await refreshSiteTerms(database);
    const rows = await withTenant(database.db, a.tenantId, (tx) => sql<{ site_id: string }>`select distinct site_id from site_terms`.execute(tx));
    expect(rows.rows.map((r) => r.site_id)).toEqual([a.siteId]);
  });
});

describe('the full-text leg (cloop_search_text, SECURITY DEFINER)', () => {
  it("answers only for the bound tenant's own site", async () => {
    const own = await withTenant(database.db, a.tenantId, (tx) => textCandidates(tx, { id: a.siteId, languages: ['en'] }, 'orchid water', 10));
    expect(own.length).toBeGreaterThan(0);
    const ids = await withTenant(database.db, a.tenantId, (tx) => tx.selectFrom('chunks').select('id').where('site_id', '=', a.siteId).execute());
    expect(own.every((c) => ids.some((r) => r.id === c.id))).toBe(true);
    // Tenant A asking for B's site (the id guessed or leaked) gets nothing, although B has matching chunks.
    const bOwn = await withTenant(database.db, b.tenantId, (tx) => textCandidates(tx, { id: b.siteId, languages: ['en'] }, 'orchid secret fertilizer', 10));
    expect(bOwn.length).toBe(1);
    const cross = await withTenant(database.db, a.tenantId, (tx) => textCandidates(tx, { id: b.siteId, languages: ['en'] }, 'orchid secret fertilizer', 10));
    expect(cross).toEqual([]);
  });

  it('returns nothing without a bound tenant, and ids and scores only', async () => {
    // cloop_system (the cross-tenant role) may not call it at all.
    await expect(withSystem(database.db, (tx) => sql`select * from cloop_search_text(${b.siteId}::uuid, ${['english']}::text[], 'orchid', 10)`.execute(tx))).rejects.toThrow(/permission denied/);
    // cloop_app outside a tenant transaction: no tenant bound, no rows.
    const unbound = await sql`select * from cloop_search_text(${b.siteId}::uuid, ${['english']}::text[], 'orchid', 10)`.execute(database.db);
    expect(unbound.rows).toEqual([]);
    const columns = await withTenant(database.db, b.tenantId, (tx) => sql<Record<string, unknown>>`select * from cloop_search_text(${b.siteId}::uuid, ${['english']}::text[], 'orchid', 10)`.execute(tx));
    expect(Object.keys(columns.rows[0]!).sort()).toEqual(['id', 'score']);
  });

  it('a frequent word does not flood the candidates: rarer words bring theirs, the frequent one alone still finds its own', async () => {
    const f = await newTenantSite('pumps');
    const manuals = Array.from({ length: 450 }, (_, i) => `Pump model ${i} manual: flow rate and wiring.`);
    await store(f, 'https://p.example/manuals', 'Manuals', manuals);
    await store(f, 'https://p.example/gasket', 'Gasket', ['Replace the pump gasket when the valve leaks.']);
    await store(f, 'https://p.example/valves', 'Valves', ['Valve springs wear out.', 'Valve seats need grease.']);
    // As a large site: "pump" (451 chunks) is selective there, but past the 400-chunk candidate budget.
    await withTenant(database.db, f.tenantId, (tx) => tx.updateTable('sites').set({ chunk_count: 10_000 }).where('id', '=', f.siteId).execute());
    await refreshSiteTerms(database);
    const text = (q: string) => withTenant(database.db, f.tenantId, (tx) => textCandidates(tx, { id: f.siteId, languages: ['en'] }, q, 500));
    const hits = await text('pump gasket valve');
    const texts = await withTenant(database.db, f.tenantId, (tx) => tx.selectFrom('chunks').select(['id', 'text']).where('site_id', '=', f.siteId).execute());
    const textOf = new Map(texts.map((r) => [r.id, r.text]));
    expect(textOf.get(hits[0]!.id)).toContain('gasket');
    expect(hits.map((h) => textOf.get(h.id)).sort()).toEqual(['Replace the pump gasket when the valve leaks.', 'Valve seats need grease.', 'Valve springs wear out.']);
    expect((await text('pump')).length).toBe(451);
  });

  it('ranks the chunk with the rare word first', async () => {
    const hits = await withTenant(database.db, a.tenantId, (tx) => textCandidates(tx, { id: a.siteId, languages: ['en'] }, 'how do I repot my orchids', 10));
    const top = await withTenant(database.db, a.tenantId, (tx) => tx.selectFrom('chunks').select('text').where('id', '=', hits[0]!.id).executeTakeFirstOrThrow());
    expect(top.text).toContain('Repot');
  });
});

describe('the full-text index (chunks_site_tsv, keyed by site)', () => {
  it("finds a site's matches inside the index: no table-wide list of a word is read", async () => {
    // As the text leg's SECURITY DEFINER function runs it: as the owner, so `@@` may go into the index.
    // On a test database of a few rows the site's btree index costs the same; without it in the way
    // (dropped in a transaction that is rolled back), the plan must be the site-keyed GIN index.
    const rolledBack = new Error('rolled back');
    let plan = '';
    await database
      .rawTransaction(async (tx) => {
        await tx.query('drop index chunks_site');
        await tx.query('set local enable_seqscan = off');
        const { rows } = await tx.query(`explain select id from chunks where site_id = $1 and tsv @@ 'orchid | fern'::tsquery`, [a.siteId]);
        plan = (rows as { 'QUERY PLAN': string }[]).map((r) => r['QUERY PLAN']).join('\n');
        throw rolledBack;
      })
      .catch((err: unknown) => {
        if (err !== rolledBack) throw err;
      });
    const { rows } = await database.executeSql(`select indexname, indexdef from pg_indexes where tablename = 'chunks' and indexdef like '%USING gin%'`);
    expect(rows).toEqual([{ indexname: 'chunks_site_tsv', indexdef: expect.stringMatching(/USING gin \(site_id, tsv\)$/) }]);
  });
});

describe('hybridSearch', () => {
  it('fuses both legs and returns citations of the own site only', async () => {
    const hits = await search(a, 'mist the ferns in the morning');
    expect(hits[0]!.url).toBe('https://a.example/ferns');
    expect(hits[0]!.text).toContain('Mist ferns');
    expect(hits[0]!.vectorRank).not.toBeNull();
    expect(hits[0]!.textRank).not.toBeNull();
    expect(hits[0]!.similarity).toBeGreaterThan(0);
    expect(hits.every((h) => h.url.startsWith('https://a.example/'))).toBe(true);
    expect((await search(a, 'secret orchid fertilizer recipe', 'hybrid', 10)).every((h) => !h.text.includes('Secret'))).toBe(true);
  });

  it("a large site's text leg runs on a second connection when one is spare, with the same hits", async () => {
    const f = await newTenantSite('large, two legs at once');
    await store(f, 'https://l.example/orchids', 'Orchids', ['Water orchids once a week.', 'Orchid roots need air.', 'Repot orchids in bark.']);
    await store(f, 'https://l.example/ferns', 'Ferns', ['Ferns like shade and humid air.']);
    await withTenant(database.db, f.tenantId, (tx) => tx.updateTable('sites').set({ chunk_count: exactScanBelow }).where('id', '=', f.siteId).execute());
    await refreshSiteTerms(database);
    const { vectors } = await embedder.embed(['orchid roots air'], { purpose: 'query' });
    let spareSeen: number[] = [];
    const run = (spare: (() => number) | null) =>
      withTenant(database.db, f.tenantId, (tx) =>
        hybridSearch(
          tx,
          { id: f.siteId, languages: ['en'], chunkCount: exactScanBelow },
          { text: 'orchid roots air', vector: vectors[0]!, model: embedder.model },
          { limit: 3, ...(spare ? { aside: { database: { db: database.db, spareConnections: () => (spareSeen.push(spare()), spareSeen.at(-1)!) }, tenantId: f.tenantId } } : {}) },
        ),
      );
    const alone = await run(null);
    expect(alone[0]!.text).toBe('Orchid roots need air.');
    expect(await run(() => database.spareConnections())).toEqual(alone);
    // PGlite has one session: never two legs at once. PostgreSQL's pool had room.
    expect(spareSeen[0]! > 0).toBe(database.kind === 'postgres');
    spareSeen = [];
    expect(await run(() => 0)).toEqual(alone);
    expect(spareSeen).toEqual([0]);
  });

  it('answers in every mode; a word no chunk has finds nothing in the text leg', async () => {
    expect((await search(a, 'cactus sun', 'vector')).every((h) => h.textRank === null)).toBe(true);
    expect((await search(a, 'cactus sun', 'fulltext'))[0]!.url).toBe('https://a.example/cacti');
    expect(await search(a, 'zeppelin', 'fulltext')).toEqual([]);
  });
});

describe('per-site partial HNSW indexes', () => {
  const planOf = (f: Fixture, chunkCount: number) =>
    withTenant(database.db, f.tenantId, async (tx) => {
      const { vectors } = await embedder.embed(['orchid'], { purpose: 'query' });
      const q = `[${vectors[0]!.join(',')}]`;
      // A test site is tiny: scanning its rows and sorting would win on cost (more so as other tests add
      // chunks); the question is which index can return this site's rows in distance order.
      await sql`set local enable_seqscan = off`.execute(tx);
      await sql`set local enable_sort = off`.execute(tx);
      const { rows } = await sql<{ 'QUERY PLAN': string }>`explain select id from chunks where site_id = ${f.siteId} order by embedding <=> ${q}::vector limit 40`.execute(tx);
      return { plan: rows.map((r) => r['QUERY PLAN']).join('\n'), chunkCount };
    });

  it('a site past the threshold gets its own index, which its searches use; it goes with the site', async () => {
    const big = await newTenantSite('big');
    await store(big, 'https://big.example/orchids', 'Orchids', ['Orchids want bright indirect light.', 'Orchid roots must breathe.']);
    // The count the indexer keeps decides; pretend this site has grown past the threshold.
    await withTenant(database.db, big.tenantId, (tx) => tx.updateTable('sites').set({ chunk_count: exactScanBelow }).where('id', '=', big.siteId).execute());
    const built = await reconcileSiteIndexes(database);
    expect(built.created).toContain(siteIndexName(big.siteId));
    expect(built.created).not.toContain(siteIndexName(a.siteId));
    expect((await planOf(big, exactScanBelow)).plan).toContain(siteIndexName(big.siteId));
    // Another site never uses it.
    expect((await planOf(a, 5)).plan).not.toContain(siteIndexName(big.siteId));
    const hits = await search(big, 'orchid roots', 'vector');
    expect(hits.map((h) => h.text)).toContain('Orchid roots must breathe.');
    // A second run leaves it alone.
    const again = await reconcileSiteIndexes(database);
    expect([...again.created, ...again.dropped]).not.toContain(siteIndexName(big.siteId));

    await withTenant(database.db, big.tenantId, (tx) => tx.deleteFrom('sites').where('id', '=', big.siteId).execute());
    const after = await reconcileSiteIndexes(database);
    expect(after.dropped).toContain(siteIndexName(big.siteId));
    const left = await database.executeSql(`select 1 from pg_class where relname = $1`, [siteIndexName(big.siteId)]);
    expect(left.rows).toEqual([]);
  });

  it('a per-site GIN index of an earlier version is dropped', async () => {
    const old = `chunks_tsv_site_${a.siteId.replaceAll('-', '')}`;
    await database.executeSql(`create index ${old} on chunks using gin (tsv) where site_id = '${a.siteId}'`);
    expect((await reconcileSiteIndexes(database)).dropped).toContain(old);
    expect((await database.executeSql(`select 1 from pg_class where relname = $1`, [old])).rows).toEqual([]);
  });

  it("a site's HNSW index of an earlier version serves until the current one is built, then goes", async () => {
    const big = await newTenantSite('big, indexed by an earlier version');
    await store(big, 'https://big.example/ferns', 'Ferns', ['Ferns like shade.']);
    const old = `chunks_embedding_site_${big.siteId.replaceAll('-', '')}`;
    await database.executeSql(`create index ${old} on chunks using hnsw (embedding vector_cosine_ops) where site_id = '${big.siteId}'`);
    // Between the thresholds no current index is built, so the old one stays.
    await withTenant(database.db, big.tenantId, (tx) => tx.updateTable('sites').set({ chunk_count: exactScanBelow - 1 }).where('id', '=', big.siteId).execute());
    expect((await reconcileSiteIndexes(database)).dropped).not.toContain(old);
    await withTenant(database.db, big.tenantId, (tx) => tx.updateTable('sites').set({ chunk_count: exactScanBelow }).where('id', '=', big.siteId).execute());
    const run = await reconcileSiteIndexes(database);
    expect(run.created).toContain(siteIndexName(big.siteId));
    expect(run.dropped).toContain(old);
    expect((await database.executeSql(`select 1 from pg_class where relname = $1`, [old])).rows).toEqual([]);
  });

  it('while a large site is re-embedded, its index is scanned on past the other model\'s chunks; once converted, not', async () => {
    const f = await newTenantSite('large, being re-embedded');
    await store(f, 'https://r.example/old', 'Old', Array.from({ length: 400 }, (_, i) => `Orchid note ${i}: water and light.`));
    await store(f, 'https://r.example/new', 'New', ['Orchid roots need air.', 'Orchid pots need holes.']);
    const newIds = await withTenant(database.db, f.tenantId, async (tx) => {
      await sql`update chunks set embedding_model = 'old-model' where site_id = ${f.siteId} and url = 'https://r.example/old'`.execute(tx);
      await tx.updateTable('sites').set({ chunk_count: exactScanBelow, embedding_model: 'old-model' }).where('id', '=', f.siteId).execute();
      return (await tx.selectFrom('chunks').select('id').where('site_id', '=', f.siteId).where('url', '=', 'https://r.example/new').execute()).map((r) => r.id).sort();
    });
    await reconcileSiteIndexes(database);
    const { vectors } = await embedder.embed(['orchid note water light'], { purpose: 'query' });
    const leg = () =>
      withTenant(database.db, f.tenantId, async (tx) => {
        const found = await vectorCandidates(tx, { id: f.siteId, chunkCount: exactScanBelow }, { vector: vectors[0]!, model: embedder.model }, 40);
        const { rows } = await sql<{ mode: string }>`select current_setting('hnsw.iterative_scan') as mode`.execute(tx);
        return { ids: found.map((c) => c.id).sort(), mode: rows[0]!.mode };
      });
    // 400 nearer chunks of the old model fill the candidate list; scanning on finds the two of the question's model.
    expect(await leg()).toEqual({ ids: newIds, mode: 'relaxed_order' });
    await withTenant(database.db, f.tenantId, (tx) => tx.updateTable('sites').set({ embedding_model: embedder.model }).where('id', '=', f.siteId).execute());
    expect((await leg()).mode).toBe('off');
  });

  it('no global HNSW index remains on chunks', async () => {
    const { rows } = await database.executeSql(`select indexname, indexdef from pg_indexes where tablename = 'chunks' and indexdef like '%hnsw%'`);
    expect(rows.filter((r: { indexdef: string }) => !r.indexdef.includes('WHERE'))).toEqual([]);
  });
});
