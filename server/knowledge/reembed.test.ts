import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SiteView } from '../../contracts/sites.ts';
import { startOpenAiServer, type OpenAiServer } from '../../test/fixtures/openai-server.ts';
import { buildTestApp, eventually } from '../../test/harness.ts';
import { openIsolatedTestDatabase } from '../../test/isolated-database.ts';
import { newOwner, type TestUser } from '../../test/sessions.ts';
import { seedPages } from '../../test/widget-helpers.ts';
import type { Database } from '../db/database.ts';
import { withTenant } from '../db/tenant.ts';
import { startWorkers } from '../jobs.ts';
import type { Embedder } from '../platform/embeddings/embedder.ts';
import { createOpenAiEmbedder } from '../platform/embeddings/openai.ts';
import { embeddingInput } from './chunk/chunk.ts';
import { reembedSite, sitesToReembed } from './reembed.ts';
import type { SearchHit } from './retrieval.ts';

// A change of embedding model: retrieval stops comparing questions with vectors of the old model
// at once (full-text carries on), the re-embed job converts each site batch by batch (resuming
// after a failure), meters the provider calls, records the site's new model and audits it; the
// schedule finds such sites by itself.

type TestApp = Awaited<ReturnType<typeof buildTestApp>>;

const pages = [
  { url: 'https://shop.example.com/returns', title: 'Returns and refunds', text: 'You can return any unused item within 30 days of delivery for a full refund. Start a return from your order page.' },
  { url: 'https://shop.example.com/shipping', title: 'Shipping and delivery', text: 'Orders placed before 2 pm ship the same day. Standard delivery takes 2 to 4 business days in Finland.' },
  { url: 'https://shop.example.com/tents', title: 'Aurora 2 tent', text: 'The Aurora 2 tent weighs 1.9 kg and sleeps two people. Pitching it takes about five minutes.' },
  { url: 'https://shop.example.com/warranty', title: 'Warranty', text: 'Every tent has a two-year warranty against manufacturing defects. Keep your receipt.' },
];

let database: Database;
let provider: OpenAiServer;
let embedder: Embedder;
/** The app before the change (local embedder) and after it (the provider's model). */
let before: TestApp;
let after: TestApp;

beforeAll(async () => {
  database = await openIsolatedTestDatabase();
  provider = await startOpenAiServer();
  embedder = createOpenAiEmbedder({ baseUrl: provider.baseUrl, apiKey: 'test-key', model: 'test-embed', dimension: 384, pricePerMillionTokens: 20, fetch: globalThis.fetch, retryBaseMs: 10 });
  before = await buildTestApp(database);
  after = await buildTestApp(database, {}, { embedder });
});
afterAll(async () => {
  await after?.close();
  await before?.close();
  await provider?.close();
  await database?.close();
});

async function siteWithPages(): Promise<{ owner: TestUser; site: SiteView }> {
  const owner = await newOwner(before.app, before.deps);
  const res = await before.app.inject({ method: 'POST', url: '/api/sites', headers: owner.headers, payload: { name: 'Northwind', domains: ['shop.example.com'] } });
  const site = res.json() as SiteView;
  await seedPages(before.deps, owner.tenantId, site.id, pages);
  return { owner, site };
}

const search = async (t: TestApp, owner: TestUser, site: SiteView, query: string, mode: 'hybrid' | 'vector' | 'fulltext') => {
  const res = await t.app.inject({ method: 'POST', url: `/api/sites/${site.id}/search`, headers: owner.headers, payload: { query, limit: 8, mode } });
  expect(res.statusCode).toBe(200);
  return (res.json() as { items: SearchHit[] }).items;
};

/** The site's chunks: model per chunk, and whether each vector is the provider's vector of its text. */
async function chunksOf(tenantId: string, siteId: string) {
  return withTenant(database.db, tenantId, async (tx) => {
    const rows = await tx.selectFrom('chunks').select(['id', 'title', 'heading_path', 'text', 'embedding_model', sql<string>`embedding::text`.as('vector')]).where('site_id', '=', siteId).orderBy('id').execute();
    return rows.map((r) => {
      const stored = JSON.parse(r.vector) as number[];
      const expected = provider.vectorFor(embeddingInput(r.title, r.heading_path, r.text));
      return { id: r.id, model: r.embedding_model, providerVector: stored.every((x, i) => Math.abs(x - expected[i]!) < 1e-5) };
    });
  });
}

const siteRecord = (tenantId: string, siteId: string) =>
  withTenant(database.db, tenantId, (tx) => tx.selectFrom('sites').select(['embedding_model', 'embedding_dim']).where('id', '=', siteId).executeTakeFirstOrThrow());

describe('after the embedding model changes', () => {
  it('search compares questions only with vectors of their own model; full-text answers meanwhile', async () => {
    const { owner, site } = await siteWithPages();
    expect((await search(before, owner, site, 'How long does delivery take?', 'vector')).length).toBeGreaterThan(0);
    expect(await search(after, owner, site, 'How long does delivery take?', 'vector')).toEqual([]);
    const hybrid = await search(after, owner, site, 'How long does delivery take?', 'hybrid');
    expect(hybrid[0]?.title).toBe('Shipping and delivery');
    expect(hybrid.every((h) => h.vectorRank === null)).toBe(true);
  });

  it('the job converts a site batch by batch, resumes after a provider failure, meters and audits', async () => {
    const { owner, site } = await siteWithPages();
    const other = await siteWithPages();
    const total = (await chunksOf(owner.tenantId, site.id)).length;
    expect(total).toBeGreaterThanOrEqual(4);
    const due = await sitesToReembed(database.db, embedder);
    expect(due).toEqual(expect.arrayContaining([{ tenantId: owner.tenantId, siteId: site.id }, { tenantId: other.owner.tenantId, siteId: other.site.id }]));

    // The provider goes down after the first batch of 2.
    let calls = 0;
    const failing: Embedder = { model: embedder.model, dimension: embedder.dimension, embed: (texts, o) => (calls++ === 1 ? Promise.reject(new Error('provider down')) : embedder.embed(texts, o)) };
    await expect(reembedSite({ ...after.deps, embedder: failing }, { tenantId: owner.tenantId, siteId: site.id }, { batch: 2 })).rejects.toThrow('provider down');
    const half = await chunksOf(owner.tenantId, site.id);
    expect(half.filter((c) => c.model === 'test-embed').length).toBe(2);
    expect(await siteRecord(owner.tenantId, site.id)).toEqual({ embedding_model: 'cloop-local-hash-v1', embedding_dim: 384 });
    // Only the converted chunks are vector candidates meanwhile.
    const partial = await search(after, owner, site, 'tent warranty', 'vector');
    expect(partial.map((h) => h.chunkId).sort()).toEqual(half.filter((c) => c.model === 'test-embed').map((c) => c.id).sort());

    // The rerun converts the rest, and nothing twice.
    const embeddingCalls = provider.requests.filter((r) => r.path === '/v1/embeddings').length;
    expect(await reembedSite(after.deps, { tenantId: owner.tenantId, siteId: site.id }, { batch: 2 })).toBe(total - 2);
    expect(provider.requests.filter((r) => r.path === '/v1/embeddings').length - embeddingCalls).toBe(Math.ceil((total - 2) / 2));
    const done = await chunksOf(owner.tenantId, site.id);
    expect(done.map((c) => [c.model, c.providerVector])).toEqual(done.map(() => ['test-embed', true]));
    expect(await siteRecord(owner.tenantId, site.id)).toEqual({ embedding_model: 'test-embed', embedding_dim: 384 });
    // A question whose vector is exactly a chunk's finds that chunk first.
    const [first] = await search(after, owner, site, embeddingInput(pages[2]!.title, [pages[2]!.title], pages[2]!.text), 'vector');
    expect(first).toMatchObject({ title: 'Aurora 2 tent' });
    expect(first!.similarity).toBeCloseTo(1, 4);

    // Metered (the provider's calls cost money) and audited once.
    const { usage, audits } = await withTenant(database.db, owner.tenantId, async (tx) => ({
      usage: await tx.selectFrom('ai_usage').select([sql<number>`count(*)::int`.as('n'), sql<number>`sum(input_tokens)::int`.as('tokens')]).where('site_id', '=', site.id).where('purpose', '=', 'embedding').executeTakeFirstOrThrow(),
      audits: await tx.selectFrom('audit_events').select(['action', 'metadata']).where('action', '=', 'site.reembedded').execute(),
    }));
    expect(usage.n).toBe(1 + Math.ceil((total - 2) / 2));
    expect(usage.tokens).toBeGreaterThan(0);
    expect(audits).toHaveLength(1);
    expect(audits[0]!.metadata).toMatchObject({ model: 'test-embed', dimension: 384, chunks: total - 2 });

    // Another tenant's site was not touched; running again changes nothing.
    expect((await chunksOf(other.owner.tenantId, other.site.id)).every((c) => c.model === 'cloop-local-hash-v1')).toBe(true);
    expect(await reembedSite(after.deps, { tenantId: owner.tenantId, siteId: site.id })).toBe(0);
    expect(await sitesToReembed(database.db, embedder)).not.toContainEqual({ tenantId: owner.tenantId, siteId: site.id });
  });

  it('the workers find and convert every due site by themselves', async () => {
    const { owner, site } = await siteWithPages();
    await startWorkers(after.deps);
    // Every site of this database (the earlier tests' too) gets converted.
    await eventually(async () => (await sitesToReembed(database.db, embedder)).length === 0, 30_000, 200);
    expect(await siteRecord(owner.tenantId, site.id)).toEqual({ embedding_model: 'test-embed', embedding_dim: 384 });
    expect((await chunksOf(owner.tenantId, site.id)).every((c) => c.model === 'test-embed' && c.providerVector)).toBe(true);
  });
});
