import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.ts';
import { startWorkers } from '../jobs.ts';
import { checkAddress } from '../platform/fetch/fetcher.ts';
import { buildTestApp } from '../../test/harness.ts';
import { openIsolatedTestDatabase } from '../../test/isolated-database.ts';
import { addWebSource, indexOf, newSite, waitForSource } from '../../test/knowledge-api.ts';
import { newOwner, type TestUser } from '../../test/sessions.ts';
import { htmlPage, robotsOf, sitemapOf, startStaticSite, type StaticSite } from '../../test/static-site.ts';

// Split on '\n' only: some entries hold other control characters.
const corpusUrls = readFileSync(fileURLToPath(new URL('../../../shared/corpora/ssrf/ssrf-urls.txt', import.meta.url)), 'utf8')
  .split('\n')
  .filter((line) => line !== '');

let database: Database;
let t: Awaited<ReturnType<typeof buildTestApp>>;
/** A loopback server nobody may reach: not allow-listed, on a port that is not allowed. */
let canary: StaticSite;
/** The one allow-listed loopback site (its port only). */
let site: StaticSite;

beforeAll(async () => {
  database = await openIsolatedTestDatabase();
  canary = await startStaticSite({ pages: { '/': htmlPage('Canary', ['If you can read this, the fetcher reached a private address.']) } });
  site = await startStaticSite();
  t = await buildTestApp(database, { FETCH_ALLOW_LIST: `127.0.0.1:${site.port}`, CRAWL_DELAY_MS: '0', RATE_LIMIT_ADMIN: '5000/60' });
  await startWorkers(t.deps);
});

afterAll(async () => {
  await t?.close();
  await Promise.all([canary?.close(), site?.close()]);
  await database?.close();
});

/** The same URL aimed at the canary's port, when it parses as an http(s) URL at all. */
function atCanaryPort(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  url.port = String(canary.port);
  return url.href;
}

describe('adding a page at a private, reserved or non-http address is refused', () => {
  let owner: TestUser;
  let siteId: string;
  const reasons = new Map<string, number>();

  beforeAll(async () => {
    owner = await newOwner(t.app, t.deps);
    siteId = await newSite(t.app, owner);
  });

  async function refuse(kind: 'page' | 'website', url: string) {
    const res = await t.app.inject({ method: 'POST', url: `/api/sites/${siteId}/sources`, headers: owner.headers, payload: { kind, url } });
    if (res.statusCode === 201) {
      // Only where DNS works: a corpus name such as example.com may resolve to a public address. Then
      // accepting it is right (its redirects are re-checked at crawl time); it must not be private.
      const addresses = await lookup(new URL(url).hostname, { all: true });
      expect(addresses.every((a) => checkAddress(a.address).allowed), `${url} → ${JSON.stringify(addresses)}`).toBe(true);
      await t.app.inject({ method: 'DELETE', url: `/api/sites/${siteId}/sources/${res.json().id}`, headers: owner.headers });
      reasons.set('accepted:public', (reasons.get('accepted:public') ?? 0) + 1);
      return;
    }
    expect(res.statusCode, res.body).toBe(400);
    const error = res.json().error as { code: string; details?: { reason?: string } };
    expect(['url_not_allowed', 'validation_failed']).toContain(error.code);
    const key = error.code === 'url_not_allowed' ? `url_not_allowed:${error.details?.reason}` : error.code;
    reasons.set(key, (reasons.get(key) ?? 0) + 1);
  }

  const name = (url: string) => JSON.stringify(url.length > 90 ? `${url.slice(0, 90)}…` : url);

  it('reads all 175 corpus entries', () => {
    expect(corpusUrls).toHaveLength(175);
  });

  for (const url of corpusUrls) {
    it(`page ${name(url)}`, async () => {
      await refuse('page', url);
      // The same address on the canary's port: the port is refused before any DNS or connection.
      const variant = atCanaryPort(url);
      if (variant) await refuse('website', variant);
    });
  }

  const named = () => [
    // localhost resolves to 127.0.0.1, but only 127.0.0.1 on the site's port is allow-listed.
    `http://localhost/`,
    `http://localhost:${canary.port}/`,
    `http://127.0.0.1:${canary.port}/`,
    `http://[::1]:${canary.port}/`,
    `http://0x7f000001:${canary.port}/`,
    `http://2130706433:${canary.port}/`,
    `http://127.1:${canary.port}/`,
    `http://[::ffff:127.0.0.1]:${canary.port}/`,
    `http://user:pass@127.0.0.1:${site.port}/`,
    `ftp://127.0.0.1:${site.port}/`,
  ];
  it('a host name that resolves to a private address, and the canary under every spelling', async () => {
    for (const url of named()) {
      await refuse('page', url);
      await refuse('website', url);
    }
  });

  it('stores nothing, and the canary heard nothing', async () => {
    console.log(`refusals by reason: ${JSON.stringify(Object.fromEntries([...reasons].sort()))}`);
    expect((await t.app.inject({ url: `/api/sites/${siteId}/sources`, headers: owner.headers })).json().items).toEqual([]);
    expect(canary.hits).toEqual([]);
  });
});

describe('a crawl never follows a sitemap, link or redirect to a private address', () => {
  it('skips them with a reason, indexes the rest, and the canary hears nothing', async () => {
    const o = site.origin;
    const c = `http://127.0.0.1:${canary.port}`;
    site.setPage('/robots.txt', robotsOf(`User-agent: *\nAllow: /\nSitemap: ${o}/sitemap_index.xml\nSitemap: ${c}/robots-sitemap.xml\nSitemap: http://169.254.169.254/latest/meta-data/sitemap.xml\n`));
    site.setPage('/sitemap_index.xml', {
      type: 'application/xml',
      body: `<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>${o}/sitemap.xml</loc></sitemap><sitemap><loc>${c}/index-sitemap.xml</loc></sitemap><sitemap><loc>http://[::1]:${canary.port}/v6-sitemap.xml</loc></sitemap></sitemapindex>`,
    });
    site.setPage(
      '/sitemap.xml',
      sitemapOf([
        `${o}/`,
        `${o}/about/`,
        'http://169.254.169.254/latest/meta-data/',
        `${c}/from-sitemap`,
        `http://localhost:${canary.port}/from-sitemap-by-name`,
        `http://[::ffff:127.0.0.1]:${canary.port}/from-sitemap-mapped`,
        `http://localhost:${site.port}/same-port-other-name`,
      ]),
    );
    site.setPage('/', htmlPage('Ferry company', ['Timetables and tickets for the island ferry.'], ['/about/', '/go-canary', '/go-metadata', '/go-localhost', '/go-protocol-relative', '/refresh/', `${c}/linked`]));
    site.setPage('/about/', htmlPage('About the ferry company', ['We have sailed to the island since 1921.']));
    site.setPage('/go-canary', { status: 302, headers: { location: `${c}/redirected` } });
    site.setPage('/go-metadata', { status: 302, headers: { location: 'http://169.254.169.254/latest/meta-data/' } });
    site.setPage('/go-localhost', { status: 301, headers: { location: `http://localhost:${canary.port}/redirected-by-name` } });
    site.setPage('/go-protocol-relative', { status: 307, headers: { location: `//127.0.0.1:${canary.port}/protocol-relative` } });
    site.setPage('/refresh/', `<html><head><meta http-equiv="refresh" content="0;url=${c}/refreshed"></head><body>Moved.</body></html>`);

    const owner = await newOwner(t.app, t.deps);
    const siteId = await newSite(t.app, owner);
    const created = await addWebSource(t.app, owner, siteId, { kind: 'website', url: `${o}/` });
    const source = await waitForSource(t.app, owner, siteId, created.id);

    expect(canary.hits).toEqual([]);
    expect(source.status).toBe('ready');
    const { documents } = await indexOf(database, owner.tenantId, created.id);
    expect(documents.filter((d) => d.status === 'indexed').map((d) => d.url)).toEqual([`${o}/`, `${o}/about/`]);
    const why = new Map(((source.progress.errors ?? []) as { url: string; reason: string }[]).map((e) => [e.url, e.reason]));
    expect(Object.fromEntries(why)).toMatchObject({
      [`${o}/go-canary`]: 'url_not_allowed:port',
      [`${o}/go-metadata`]: 'url_not_allowed:address',
      [`${o}/go-localhost`]: 'url_not_allowed:port',
      [`${o}/go-protocol-relative`]: 'url_not_allowed:port',
      'http://169.254.169.254/latest/meta-data/': 'off_host',
      [`${c}/from-sitemap`]: 'off_host',
      [`${c}/linked`]: 'off_host',
      [`${c}/refreshed`]: 'off_host',
    });
    // Only the site's own addresses were asked for.
    expect(site.hitsFor((p) => p.startsWith('/go-')).map((h) => h.status).sort()).toEqual([301, 302, 302, 307]);
  });
});
