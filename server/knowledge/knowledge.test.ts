import { readdirSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceView } from '../../contracts/knowledge.ts';
import type { Database } from '../db/database.ts';
import { withTenant } from '../db/tenant.ts';
import { startWorkers } from '../jobs.ts';
import { buildTestApp, eventually } from '../../test/harness.ts';
import { openIsolatedTestDatabase } from '../../test/isolated-database.ts';
import { addWebSource, getSource, indexOf, integrityOf, newSite, parseSse, search, waitForSource, type SseEvent } from '../../test/knowledge-api.ts';
import { fileUpload } from '../../test/multipart.ts';
import { newOwner, setTierDirectly, type TestUser } from '../../test/sessions.ts';
import { htmlPage, robotsOf, sitemapOf, startStaticSite, type StaticSite } from '../../test/static-site.ts';
import { syncWebSource } from './ingest.ts';

const corpus = (p: string) => fileURLToPath(new URL(`../../../shared/corpora/${p}`, import.meta.url));
const siteRoot = corpus('site/html');

let database: Database;
let t: Awaited<ReturnType<typeof buildTestApp>>;
let helpCenter: StaticSite;
let robotsSite: StaticSite;
let resyncSite: StaticSite;
let linkSite: StaticSite;
let slowSite: StaticSite;
let deleteSite: StaticSite;
let twiceSite: StaticSite;

beforeAll(async () => {
  database = await openIsolatedTestDatabase();
  helpCenter = await startStaticSite({ root: siteRoot, rewriteOrigin: 'http://localhost:8080' });
  robotsSite = await startStaticSite();
  resyncSite = await startStaticSite();
  linkSite = await startStaticSite();
  slowSite = await startStaticSite();
  deleteSite = await startStaticSite();
  // No validators: every re-run fetches and compares the content itself.
  twiceSite = await startStaticSite({ validators: false });
  const sites = [helpCenter, robotsSite, resyncSite, linkSite, slowSite, deleteSite, twiceSite];
  t = await buildTestApp(database, { FETCH_ALLOW_LIST: sites.map((s) => `127.0.0.1:${s.port}`).join(','), CRAWL_DELAY_MS: '0' });
  await startWorkers(t.deps);
});

afterAll(async () => {
  await t?.close();
  await Promise.all([helpCenter, robotsSite, resyncSite, linkSite, slowSite, deleteSite, twiceSite].map((s) => s?.close()));
  await database?.close();
});

/** A signed-in Owner on the business tier (no page cap below the site's size) with one site. */
async function ownerWithSite(): Promise<{ owner: TestUser; siteId: string }> {
  const owner = await newOwner(t.app, t.deps);
  await setTierDirectly(t.deps, owner.tenantId, 'business');
  return { owner, siteId: await newSite(t.app, owner) };
}

/** The help center's meta-refresh stubs (URL paths), and those a real page links to (the only ones a crawler can reach). */
function scanHelpCenter() {
  const pages: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name === 'index.html') pages.push(p);
    }
  };
  walk(siteRoot);
  const stubs = new Set<string>();
  const linked = new Set<string>();
  for (const file of pages) {
    const html = readFileSync(file, 'utf8');
    const urlPath = `/${path.relative(siteRoot, path.dirname(file)).split(path.sep).join('/')}/`.replace('//', '/');
    if (/http-equiv="refresh"/i.test(html)) {
      stubs.add(urlPath);
      continue;
    }
    for (const m of html.matchAll(/href="([^"]+)"/g)) {
      const u = new URL(m[1]!, `http://localhost:8080${urlPath}`);
      if (u.host === 'localhost:8080') linked.add(u.pathname.endsWith('/') ? u.pathname : `${u.pathname}/`);
    }
  }
  return { stubs, linkedStubs: [...stubs].filter((s) => linked.has(s)) };
}

describe('crawling the help center (235 pages, sitemap, robots.txt, redirect stubs, a dead link)', () => {
  let owner: TestUser;
  let siteId: string;
  let created: SourceView;
  let events: SseEvent[];
  let source: SourceView;
  const origin = () => helpCenter.origin;

  beforeAll(async () => {
    ({ owner, siteId } = await ownerWithSite());
    const started = Date.now();
    const res = await t.app.inject({ method: 'POST', url: `/api/sites/${siteId}/sources`, headers: owner.headers, payload: { kind: 'website', url: `${origin()}/` } });
    expect(res.statusCode).toBe(201);
    created = res.json();
    // The stream ends by itself once the sync is over.
    const stream = await t.app.inject({ url: `/api/sites/${siteId}/sources/${created.id}/events`, headers: owner.headers });
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    events = parseSse(stream.body);
    source = await getSource(t.app, owner, siteId, created.id);
    console.log(`help center crawled in ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify({ ...source.progress, errors: undefined })}`);
  }, 180_000);

  it('is queued at once, streams its progress, then says done', () => {
    expect(created).toMatchObject({ kind: 'website', status: 'queued', url: `${origin()}/` });
    const progress = events.filter((e) => e.event === 'progress').map((e) => e.data as SourceView);
    const fetched = progress.map((p) => Number(p.progress.fetched ?? 0));
    expect(progress.length).toBeGreaterThanOrEqual(2);
    // Counts only grow, and the stream saw the crawl move.
    expect(fetched).toEqual([...fetched].sort((a, b) => a - b));
    expect(new Set(fetched.filter((n) => n > 0)).size).toBeGreaterThanOrEqual(2);
    expect(events.at(-1)).toEqual({ event: 'done', data: { status: 'ready' } });
    expect(source).toMatchObject({ status: 'ready', error: null });
    expect(source.lastSyncAt).not.toBeNull();
    expect(source.nextSyncAt).not.toBeNull();
  });

  it('indexes every page the sitemap lists', async () => {
    const sitemap = readFileSync(path.join(siteRoot, 'sitemap.xml'), 'utf8');
    const listed = [...sitemap.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => m[1]!.replace('http://localhost:8080', origin()));
    expect(listed).toHaveLength(204);
    const { documents } = await indexOf(database, owner.tenantId, created.id);
    const indexed = new Set(documents.filter((d) => d.status === 'indexed').map((d) => d.url));
    expect(listed.filter((u) => !indexed.has(u))).toEqual([]);
    expect(source.progress.indexed).toBe(indexed.size);
    expect(Number(source.progress.chunks)).toBeGreaterThan(indexed.size);
  });

  it('indexes each page by its article, never by the page footer', async () => {
    const { chunks } = await indexOf(database, owner.tenantId, created.id);
    // The corpus wraps every article in the same header, sidebar and footer ("Rendered for local testing").
    expect(chunks.filter((c) => c.text.includes('Rendered for local testing')).map((c) => new URL(c.url).pathname)).toEqual([]);
  });

  it('stores each page and each passage once', async () => {
    const integrity = await integrityOf(database, owner.tenantId, siteId);
    expect(integrity).toMatchObject({ duplicateChunks: [], duplicateHashes: [], duplicateUrls: [], documentsWithWrongChunkCount: 0 });
    expect(integrity.siteChunkCount).toBe(integrity.chunks);
    expect(integrity.chunks).toBe(source.progress.chunks);
  });

  it('counts the dead links and the redirect stubs it reaches as skipped, and indexes none of them', async () => {
    const { stubs, linkedStubs } = scanHelpCenter();
    expect(stubs.size).toBe(31);
    const reasons = source.progress.skippedReasons as Record<string, number>;
    // The two dead internal links: /translated/ and a PDF that was not copied.
    expect(reasons.not_found).toBe(2);
    expect(reasons.redirect).toBeGreaterThanOrEqual(linkedStubs.length);
    // No stub (reachable or not) became a document.
    const { documents } = await indexOf(database, owner.tenantId, created.id);
    const paths = new Set(documents.map((d) => new URL(d.url).pathname));
    expect([...stubs].filter((s) => paths.has(s) || paths.has(s.slice(0, -1)))).toEqual([]);
    // robots.txt disallows /search/: never requested.
    expect(helpCenter.hitsFor((p) => p === '/search' || p.startsWith('/search/'))).toEqual([]);
  });

  it('names the dead link and the stubs in the per-page problem list once the crawl is over', () => {
    const { linkedStubs } = scanHelpCenter();
    const listed = new Map(((source.progress.errors ?? []) as { url: string; reason: string }[]).map((p) => [new URL(p.url).pathname, p.reason]));
    expect(Object.fromEntries([...linkedStubs, '/translated/'].map((p) => [p, listed.get(p)]))).toEqual(
      Object.fromEntries([...linkedStubs.map((p) => [p, 'redirect']), ['/translated/', 'not_found']]),
    );
  });

  it('counts each off-site link once, not once per page that links it', () => {
    // 533 links to other sites, 288 distinct URLs (read from the HTML), plus the few off-site meta-refresh targets.
    const reasons = source.progress.skippedReasons as Record<string, number>;
    expect(reasons.off_host).toBeGreaterThan(0);
    expect(reasons.off_host).toBeLessThanOrEqual(288 + 8);
  });

  it('finds the page that answers a visitor question in the top 5', async () => {
    const hits = await search(t.app, owner, siteId, 'How do I hide Duck.ai?', 5);
    expect(hits.length).toBe(5);
    for (const h of hits) {
      expect(h.text.length).toBeGreaterThan(0);
      expect(Array.isArray(h.headingPath)).toBe(true);
      expect(h.title).toBeTruthy();
      expect(h.url.startsWith(`${origin()}/`)).toBe(true);
      expect(h.score).toBeGreaterThan(0);
    }
    expect(hits.map((h) => h.score)).toEqual([...hits.map((h) => h.score)].sort((a, b) => b - a));
    expect(hits.map((h) => new URL(h.url).pathname)).toContain('/duckai/how-to-hide-ai-chat/');

    // Every page-level question of the help center's own FAQ: how often the gold page is in the top 5.
    const questions = readFileSync(corpus('qa/ddg-help-faq/ddg-help-questions.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { question: string; url: string });
    let found = 0;
    for (const q of questions) {
      const top = await search(t.app, owner, siteId, q.question, 5);
      if (top.some((h) => new URL(h.url).pathname === q.url)) found++;
    }
    console.log(`FAQ questions with the gold page in the top 5: ${found}/${questions.length}`);
    expect(found / questions.length).toBeGreaterThan(0.6);
  }, 60_000);
});

describe('robots.txt', () => {
  it('keeps CloopBot out of what the site disallows for it: those pages are never requested', async () => {
    const o = robotsSite.origin;
    robotsSite.setPage('/robots.txt', robotsOf('User-agent: *\nDisallow: /everyone-else/\n\nUser-agent: CloopBot\nDisallow: /private\n'));
    robotsSite.setPage('/sitemap.xml', sitemapOf([`${o}/`, `${o}/public/`, `${o}/private/listed/`]));
    robotsSite.setPage('/', htmlPage('Robots home', ['Welcome to the robots test site, where the lighthouse keeper lives.'], ['/public/', '/private/', '/private/linked/', '/privately-held/', '/everyone-else/']));
    robotsSite.setPage('/public/', htmlPage('Public page', ['Anyone may read about the harbour ferry timetable.']));
    robotsSite.setPage('/private/', htmlPage('Private', ['The secret vault combination is 1234.']));
    robotsSite.setPage('/private/listed/', htmlPage('Private listed', ['Listed in the sitemap, still private.']));
    robotsSite.setPage('/private/linked/', htmlPage('Private linked', ['Linked, still private.']));
    robotsSite.setPage('/privately-held/', htmlPage('Privately held', ['Robots prefixes match this one too.']));
    robotsSite.setPage('/everyone-else/', htmlPage('Everyone else', ['Only other robots are kept out of here; CloopBot has its own group.']));

    const { owner, siteId } = await ownerWithSite();
    const created = await addWebSource(t.app, owner, siteId, { kind: 'website', url: `${o}/` });
    const source = await waitForSource(t.app, owner, siteId, created.id);
    expect(source.status).toBe('ready');
    expect(robotsSite.hitsFor((p) => p.startsWith('/private'))).toEqual([]);
    expect(robotsSite.count('/robots.txt')).toBe(1);
    expect(robotsSite.hits.every((h) => h.userAgent.startsWith('CloopBot'))).toBe(true);
    const { documents } = await indexOf(database, owner.tenantId, created.id);
    expect(documents.map((d) => new URL(d.url).pathname).sort()).toEqual(['/', '/everyone-else/', '/public/']);
    expect((source.progress.skippedReasons as Record<string, number>).robots).toBe(4);
    const hits = await search(t.app, owner, siteId, 'secret vault combination');
    expect(hits.some((h) => h.text.includes('vault'))).toBe(false);
  });
});

describe('re-sync', () => {
  it('asks with validators: unchanged pages answer 304 and keep their chunks, a changed page is re-indexed, a deleted one is removed', async () => {
    const s = resyncSite;
    const o = s.origin;
    s.setPage('/sitemap.xml', sitemapOf([`${o}/`, `${o}/stable/`, `${o}/changing/`, `${o}/doomed/`]));
    s.setPage('/', htmlPage('Harbour help', ['Questions about the harbour, its ferries and its lighthouse.'], ['/stable/', '/changing/', '/doomed/']));
    s.setPage('/stable/', htmlPage('Opening hours', ['The harbour office opens at eight and closes at four on weekdays.']));
    s.setPage('/changing/', htmlPage('Ferry prices', ['A ferry ticket to the island costs twelve marmalades for adults.']));
    s.setPage('/doomed/', htmlPage('Old lighthouse tours', ['Guided tours of the lighthouse leave every zeppelin hour.']));

    const { owner, siteId } = await ownerWithSite();
    const created = await addWebSource(t.app, owner, siteId, { kind: 'website', url: `${o}/` });
    const first = await waitForSource(t.app, owner, siteId, created.id);
    expect(first.status).toBe('ready');
    const before = await indexOf(database, owner.tenantId, created.id);
    expect(before.documents.map((d) => new URL(d.url).pathname)).toEqual(['/', '/changing/', '/doomed/', '/stable/']);
    const chunkIds = (p: string, index: typeof before) => index.chunks.filter((c) => new URL(c.url).pathname === p).map((c) => c.id);

    s.setPage('/changing/', htmlPage('Ferry prices', ['A ferry ticket to the island now costs fifteen pomegranates for adults.']));
    s.deletePage('/doomed/');
    const hitsBefore = s.hits.length;
    const resync = await t.app.inject({ method: 'POST', url: `/api/sites/${siteId}/sources/${created.id}/resync`, headers: owner.headers });
    expect(resync.statusCode).toBe(200);
    expect(resync.json().status).toBe('queued');
    const second = await waitForSource(t.app, owner, siteId, created.id, (x) => x.status === 'ready' && x.lastSyncAt !== first.lastSyncAt);
    expect(second.progress).toMatchObject({ unchanged: 2, indexed: 1 });

    const resyncHits = s.hits.slice(hitsBefore);
    const statusOf = (p: string) => resyncHits.filter((h) => h.path === p).map((h) => h.status);
    expect(statusOf('/')).toEqual([304]);
    expect(statusOf('/stable/')).toEqual([304]);
    expect(statusOf('/changing/')).toEqual([200]);
    expect(statusOf('/doomed/')).toEqual([404]);
    expect(resyncHits.filter((h) => h.path === '/stable/').every((h) => h.conditional)).toBe(true);

    const after = await indexOf(database, owner.tenantId, created.id);
    expect(after.documents.map((d) => new URL(d.url).pathname)).toEqual(['/', '/changing/', '/stable/']);
    expect(chunkIds('/', after)).toEqual(chunkIds('/', before));
    expect(chunkIds('/stable/', after)).toEqual(chunkIds('/stable/', before));
    expect(chunkIds('/changing/', after)).not.toEqual(chunkIds('/changing/', before));
    expect(after.chunks.some((c) => new URL(c.url).pathname === '/doomed/')).toBe(false);

    const fresh = await search(t.app, owner, siteId, 'pomegranates');
    expect(new URL(fresh[0]!.url).pathname).toBe('/changing/');
    expect(fresh[0]!.text).toContain('pomegranates');
    for (const word of ['marmalades', 'zeppelin']) {
      expect((await search(t.app, owner, siteId, word)).filter((h) => h.text.includes(word))).toEqual([]);
    }
    expect(await integrityOf(database, owner.tenantId, siteId)).toMatchObject({ duplicateChunks: [], duplicateUrls: [], documentsWithWrongChunkCount: 0, siteChunkCount: after.chunks.length });
  });

  it('keeps the pages that only links lead to when the pages linking them are unchanged', async () => {
    // No sitemap: the crawl finds /guide/ and /guide/deep/ only through links.
    const s = linkSite;
    s.setPage('/', htmlPage('Garden help', ['How to look after the rose garden.'], ['/guide/']));
    s.setPage('/guide/', htmlPage('Pruning guide', ['Prune the roses in early spring before the buds swell.'], ['/guide/deep/']));
    s.setPage('/guide/deep/', htmlPage('Rose diseases', ['Black spot on roses is a fungus; remove the fallen leaves.']));

    const { owner, siteId } = await ownerWithSite();
    const created = await addWebSource(t.app, owner, siteId, { kind: 'website', url: `${s.origin}/` });
    const first = await waitForSource(t.app, owner, siteId, created.id);
    expect(first.progress).toMatchObject({ indexed: 3 });

    await t.app.inject({ method: 'POST', url: `/api/sites/${siteId}/sources/${created.id}/resync`, headers: owner.headers });
    const second = await waitForSource(t.app, owner, siteId, created.id, (x) => x.status === 'ready' && x.lastSyncAt !== first.lastSyncAt);
    const after = await indexOf(database, owner.tenantId, created.id);
    expect(after.documents.map((d) => new URL(d.url).pathname)).toEqual(['/', '/guide/', '/guide/deep/']);
    expect(second.progress).toMatchObject({ unchanged: 3, indexed: 0 });
    const hits = await search(t.app, owner, siteId, 'black spot fungus');
    expect(hits.some((h) => new URL(h.url).pathname === '/guide/deep/')).toBe(true);
  });
});

describe('cancelling', () => {
  it('stops a running crawl: status cancelled, and no more requests reach the site', async () => {
    const s = slowSite;
    const o = s.origin;
    const paths = Array.from({ length: 80 }, (_, i) => `/page-${i}/`);
    s.setPage('/sitemap.xml', sitemapOf([`${o}/`, ...paths.map((p) => `${o}${p}`)]));
    s.setPage('/', htmlPage('Slow home', ['A slow site.'], paths));
    paths.forEach((p, i) => s.setPage(p, htmlPage(`Page ${i}`, [`This is slow page number ${i} about topic ${i * 7}.`])));
    s.setDelay(150);

    const { owner, siteId } = await ownerWithSite();
    const created = await addWebSource(t.app, owner, siteId, { kind: 'website', url: `${o}/` });
    await waitForSource(t.app, owner, siteId, created.id, (x) => Number(x.progress.fetched ?? 0) >= 3);
    const cancel = await t.app.inject({ method: 'POST', url: `/api/sites/${siteId}/sources/${created.id}/cancel`, headers: owner.headers });
    expect(cancel.statusCode).toBe(200);
    expect(cancel.json().status).toBe('cancelled');

    // In-flight requests may finish; after that the site hears nothing more.
    await new Promise((r) => setTimeout(r, 1500));
    const settled = s.hits.length;
    await new Promise((r) => setTimeout(r, 2000));
    expect(s.hits.length).toBe(settled);
    expect(s.hitsFor((p) => p.startsWith('/page-')).length).toBeLessThan(40);
    const source = await getSource(t.app, owner, siteId, created.id);
    expect(source.status).toBe('cancelled');

    // A cancelled source cannot be cancelled again, and its event stream ends at once.
    const again = await t.app.inject({ method: 'POST', url: `/api/sites/${siteId}/sources/${created.id}/cancel`, headers: owner.headers });
    expect(again.statusCode).toBe(409);
    const stream = await t.app.inject({ url: `/api/sites/${siteId}/sources/${created.id}/events`, headers: owner.headers });
    expect(parseSse(stream.body).at(-1)).toEqual({ event: 'done', data: { status: 'cancelled' } });
  });
});

describe('deleting a source', () => {
  it('removes a website with its documents and chunks', async () => {
    const s = deleteSite;
    s.setPage('/', htmlPage('Bakery help', ['Our sourdough is baked every morning at five.'], ['/cakes/']));
    s.setPage('/cakes/', htmlPage('Cakes', ['Birthday cakes need two days notice.']));
    const { owner, siteId } = await ownerWithSite();
    const created = await addWebSource(t.app, owner, siteId, { kind: 'website', url: `${s.origin}/` });
    expect((await waitForSource(t.app, owner, siteId, created.id)).status).toBe('ready');
    expect((await indexOf(database, owner.tenantId, created.id)).chunks.length).toBeGreaterThan(0);

    const res = await t.app.inject({ method: 'DELETE', url: `/api/sites/${siteId}/sources/${created.id}`, headers: owner.headers });
    expect(res.statusCode).toBe(204);
    expect((await t.app.inject({ url: `/api/sites/${siteId}/sources/${created.id}`, headers: owner.headers })).statusCode).toBe(404);
    expect(await indexOf(database, owner.tenantId, created.id)).toEqual({ documents: [], chunks: [] });
    expect(await integrityOf(database, owner.tenantId, siteId)).toMatchObject({ chunks: 0, siteChunkCount: 0 });
    expect((await search(t.app, owner, siteId, 'sourdough')).length).toBe(0);
  });

  it('removes an uploaded file with its documents, chunks and stored original', async () => {
    const { owner, siteId } = await ownerWithSite();
    const body = fileUpload('notes.md', '# Parking\n\nVisitors park behind the library, next to the bicycle racks.\n');
    const up = await t.app.inject({ method: 'POST', url: `/api/sites/${siteId}/sources/upload`, headers: { ...owner.headers, ...body.headers }, payload: body.payload });
    expect(up.statusCode, up.body).toBe(201);
    const created = up.json() as SourceView;
    expect((await waitForSource(t.app, owner, siteId, created.id)).status).toBe('ready');
    const folder = path.join(t.config.storage.kind === 'fs' ? t.config.storage.dir : '', owner.tenantId);
    expect(await readdir(folder)).toHaveLength(1);

    expect((await t.app.inject({ method: 'DELETE', url: `/api/sites/${siteId}/sources/${created.id}`, headers: owner.headers })).statusCode).toBe(204);
    expect(await indexOf(database, owner.tenantId, created.id)).toEqual({ documents: [], chunks: [] });
    expect(await readdir(folder)).toEqual([]);
    expect(await integrityOf(database, owner.tenantId, siteId)).toMatchObject({ chunks: 0, siteChunkCount: 0 });
  });
});

describe('idempotent sync jobs', () => {
  /** A six-page site (no validators, so every run fetches and compares content) and a source row with no queued job: the test runs the job itself. */
  async function sourceWithoutJob() {
    const s = twiceSite;
    const paths = ['/', '/a/', '/b/', '/c/', '/d/', '/e/'];
    s.setPage('/sitemap.xml', sitemapOf(paths.map((p) => `${s.origin}${p}`)));
    paths.forEach((p, i) =>
      s.setPage(p, htmlPage(`Topic ${i}`, Array.from({ length: 12 }, (_, j) => `Paragraph ${j} of topic ${i} talks about item ${i * 100 + j} in some detail, with enough words to fill a passage of its own.`), paths)),
    );
    const { owner, siteId } = await ownerWithSite();
    const sourceId = await withTenant(database.db, owner.tenantId, async (tx) =>
      (await tx.insertInto('sources').values({ tenant_id: owner.tenantId, site_id: siteId, kind: 'website', url: `${s.origin}/`, max_pages: 100, max_depth: 5 }).returning('id').executeTakeFirstOrThrow()).id,
    );
    return { owner, siteId, sourceId, urls: paths.map((p) => `${s.origin}${p}`).sort(), job: { tenantId: owner.tenantId, sourceId } };
  }

  it('a second run of the same job, started while the first still crawls, leaves every page stored once and loses none', async () => {
    const { owner, siteId, sourceId, urls, job } = await sourceWithoutJob();
    // As when a job outlives its expiry and the queue starts a retry beside it: the first run is
    // held on /a/ while the second starts. The live run keeps the source; the second steps aside.
    const serial = { ...t.deps, config: { ...t.deps.config, crawl: { ...t.deps.config.crawl, concurrency: 1 } } };
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((r) => (releaseFirst = r));
    const arrived = new Set<string>();
    twiceSite.setGate((p, before) => {
      if (before > 0 || p !== '/a/') return undefined;
      arrived.add(p);
      return firstHeld;
    });
    try {
      const first = syncWebSource(serial, job);
      await eventually(() => arrived.has('/a/'), 10_000, 10);
      await syncWebSource(serial, job); // returns at once: the first run is alive
      releaseFirst();
      await first;
    } finally {
      releaseFirst();
      twiceSite.setGate(null);
    }
    const index = await indexOf(database, owner.tenantId, sourceId);
    expect(await integrityOf(database, owner.tenantId, siteId)).toMatchObject({ duplicateChunks: [], duplicateHashes: [], duplicateUrls: [], documentsWithWrongChunkCount: 0, siteChunkCount: index.chunks.length });
    expect((await getSource(t.app, owner, siteId, sourceId)).status).toBe('ready');
    expect(index.documents.map((d) => d.url)).toEqual(urls);
    expect(index.documents.every((d) => d.status === 'indexed')).toBe(true);
  });

  it('re-running a finished job changes nothing: same documents, same chunks', async () => {
    const { owner, siteId, sourceId, urls, job } = await sourceWithoutJob();
    await syncWebSource(t.deps, job);
    const once = await indexOf(database, owner.tenantId, sourceId);
    expect(once.documents.map((d) => d.url)).toEqual(urls);
    await syncWebSource(t.deps, job);
    const twice = await indexOf(database, owner.tenantId, sourceId);
    expect(twice.documents.map((d) => d.id)).toEqual(once.documents.map((d) => d.id));
    expect(twice.chunks.map((c) => c.id)).toEqual(once.chunks.map((c) => c.id));
    expect(await integrityOf(database, owner.tenantId, siteId)).toMatchObject({ duplicateChunks: [], duplicateUrls: [], documentsWithWrongChunkCount: 0, siteChunkCount: once.chunks.length });
    expect(await getSource(t.app, owner, siteId, sourceId)).toMatchObject({ status: 'ready', progress: { unchanged: urls.length, indexed: 0 } });
  });
});
