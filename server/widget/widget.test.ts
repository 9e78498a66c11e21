import { hkdfSync } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SiteView } from '../../contracts/sites.ts';
import type { HistoryResponse, WidgetConfig } from '../../contracts/widget.ts';
import { buildTestApp, openTestDatabase, testRedisUrl } from '../../test/harness.ts';
import { newOwner, setTierDirectly, type TestUser } from '../../test/sessions.ts';
import { widgetClient } from '../../test/widget-helpers.ts';
import type { Database } from '../db/database.ts';
import { withSystem, withTenant } from '../db/tenant.ts';
import { createMemoryStateStore } from '../platform/state/memory.ts';
import { widgetSiteCacheMs } from './site.system.ts';
import { createVisitorTokens } from './visitor-token.ts';

// The widget API's doors: embed key, Origin, CORS, visitor tokens, and who may read which
// conversation. Every attack is one table row.

type TestApp = Awaited<ReturnType<typeof buildTestApp>>;

let database: Database;
let t: TestApp;
/** The same server in production mode (plain http and localhost origins are refused there). */
let prod: TestApp;
/** A business-tier tenant whose sites the tables use (one site per row). */
let owner: TestUser;

const origin = 'https://shop.example.com';
/** Every request of this file comes from one address: the rate limits are tested in chat.test.ts. */
const limits = { RATE_LIMIT_CHAT: '10000/60', RATE_LIMIT_PUBLIC: '10000/60', RATE_LIMIT_ADMIN: '10000/60', CHAT_NEW_CONVERSATIONS_PER_IP: '10000/3600' };

beforeAll(async () => {
  database = await openTestDatabase();
  t = await buildTestApp(database, limits);
  prod = await buildTestApp(
    database,
    { ...limits, NODE_ENV: 'production', PUBLIC_URL: 'https://cloop.example', CLOOP_ALLOW_EMBEDDED_DB: 'true', ...(testRedisUrl ? {} : { REDIS_URL: 'redis://127.0.0.1:1' }) },
    testRedisUrl ? {} : { state: createMemoryStateStore() },
  );
  owner = await newOwner(t.app, t.deps);
  await setTierDirectly(t.deps, owner.tenantId, 'business');
});
afterAll(async () => {
  await prod?.close();
  await t?.close();
  await database?.close();
});

async function createSite(user: TestUser, domains: string[], extra: Record<string, unknown> = {}): Promise<SiteView> {
  const res = await t.app.inject({ method: 'POST', url: '/api/sites', headers: user.headers, payload: { name: 'Northwind Outdoor', domains, ...extra } });
  if (res.statusCode !== 201) throw new Error(`create site: ${res.statusCode} ${res.body}`);
  return res.json() as SiteView;
}

function getConfig(app: TestApp, key: string | undefined, from: string | undefined) {
  return app.app.inject({ url: '/widget/v1/config', headers: { ...(key ? { 'x-cloop-key': key } : {}), ...(from !== undefined ? { origin: from } : {}) } });
}

function errorCode(res: { json(): unknown }): string | undefined {
  return (res.json() as { error?: { code?: string } }).error?.code;
}

describe('widget config', () => {
  it('returns exactly the allow-listed public keys, nothing internal', async () => {
    const site = await createSite(owner, ['shop.example.com'], {
      settings: { persona: 'SECRET-PERSONA-INSTRUCTIONS', greeting: 'Hello there', starterQuestions: ['Shipping?'] },
    });
    const res = await getConfig(t, site.embedKey, origin);
    expect(res.statusCode).toBe(200);
    const body = res.json() as WidgetConfig;
    expect(Object.keys(body).sort()).toMatchInlineSnapshot(`
      [
        "colors",
        "emailCapture",
        "greeting",
        "languages",
        "position",
        "showBranding",
        "siteName",
        "starterQuestions",
      ]
    `);
    expect(Object.keys(body.colors).sort()).toEqual(['primary', 'text']);
    expect(body).toMatchObject({ siteName: 'Northwind Outdoor', greeting: 'Hello there', starterQuestions: ['Shipping?'], emailCapture: 'on_request' });
    for (const secret of [site.embedKey, site.id, owner.tenantId, 'SECRET-PERSONA-INSTRUCTIONS', 'shop.example.com', 'domains', 'tenant', 'persona', 'embedKey']) {
      expect(res.body).not.toContain(secret);
    }
  });
});

describe('origin check', () => {
  // Each row gets its own site with `domains`; `prod` rows run against the production-mode server.
  const rows: { name: string; domains: string[]; origin: string | undefined; prod?: boolean; status: 200 | 403 }[] = [
    { name: 'registered host', domains: ['shop.example.com'], origin: 'https://shop.example.com', status: 200 },
    { name: 'registered host in production', domains: ['shop.example.com'], origin: 'https://shop.example.com', prod: true, status: 200 },
    { name: 'another origin', domains: ['shop.example.com'], origin: 'https://evil.example.net', status: 403 },
    { name: 'missing Origin', domains: ['shop.example.com'], origin: undefined, status: 403 },
    { name: 'null origin (sandboxed iframe, file:)', domains: ['shop.example.com'], origin: 'null', status: 403 },
    { name: 'http where the site is https (production)', domains: ['shop.example.com'], origin: 'http://shop.example.com', prod: true, status: 403 },
    { name: 'subdomain without a wildcard entry', domains: ['example.com'], origin: 'https://shop.example.com', status: 403 },
    { name: 'parent of a registered subdomain', domains: ['shop.example.com'], origin: 'https://example.com', status: 403 },
    { name: 'wildcard entry allows a subdomain', domains: ['*.example.com'], origin: 'https://shop.example.com', status: 200 },
    { name: 'wildcard entry does not allow the apex', domains: ['*.example.com'], origin: 'https://example.com', status: 403 },
    { name: 'wildcard entry and a look-alike suffix', domains: ['*.example.com'], origin: 'https://evilexample.com', status: 403 },
    { name: 'registered host as a prefix of another domain', domains: ['example.com'], origin: 'https://example.com.evil.net', status: 403 },
    { name: 'port mismatch (entry names a port)', domains: ['shop.example.com:8443'], origin: 'https://shop.example.com', status: 403 },
    { name: 'other port (entry names a port)', domains: ['shop.example.com:8443'], origin: 'https://shop.example.com:9443', status: 403 },
    { name: 'matching port', domains: ['shop.example.com:8443'], origin: 'https://shop.example.com:8443', status: 200 },
    { name: 'origin with a path', domains: ['shop.example.com'], origin: 'https://shop.example.com/page', status: 403 },
    { name: 'origin with a trailing slash', domains: ['shop.example.com'], origin: 'https://shop.example.com/', status: 403 },
    { name: 'origin with user info', domains: ['shop.example.com'], origin: 'https://user@shop.example.com', status: 403 },
    { name: 'non-web scheme', domains: ['shop.example.com'], origin: 'chrome-extension://shop.example.com', status: 403 },
    { name: 'localhost outside production', domains: ['localhost:5173'], origin: 'http://localhost:5173', status: 200 },
    { name: 'localhost in production', domains: ['localhost:5173'], origin: 'http://localhost:5173', prod: true, status: 403 },
    { name: 'a site with no domains answers no one', domains: [], origin: 'https://shop.example.com', status: 403 },
    { name: 'a site with no domains, localhost', domains: [], origin: 'http://localhost:3000', status: 403 },
  ];

  it.each(rows)('$name → $status', async (row) => {
    const site = await createSite(owner, row.domains);
    const res = await getConfig(row.prod ? prod : t, site.embedKey, row.origin);
    expect(res.statusCode).toBe(row.status);
    if (row.status === 403) {
      expect(errorCode(res)).toBe('origin_not_allowed');
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    } else expect(res.headers['access-control-allow-origin']).toBe(row.origin);
  });
});

describe('embed key', () => {
  const rows: { name: string; key: (site: SiteView) => Promise<string | undefined> | string | undefined; via?: 'query' }[] = [
    { name: 'missing key', key: () => undefined },
    { name: 'malformed key', key: () => 'not-a-key' },
    { name: 'well-formed unknown key', key: () => 'ck_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
    { name: 'another site’s key with one character changed', key: (s) => s.embedKey.slice(0, -1) + (s.embedKey.endsWith('A') ? 'B' : 'A') },
    { name: 'unknown key in the query', key: () => 'ck_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB', via: 'query' },
    {
      name: 'key of a deleted site',
      key: async () => {
        const gone = await createSite(owner, ['shop.example.com']);
        await t.app.inject({ method: 'DELETE', url: `/api/sites/${gone.id}`, headers: owner.headers });
        return gone.embedKey;
      },
    },
    {
      name: 'key of a terminated tenant',
      key: async () => {
        const other = await newOwner(t.app, t.deps);
        const s = await createSite(other, ['shop.example.com']);
        await withSystem(t.deps.database.db, (tx) => tx.updateTable('tenants').set({ status: 'terminated', terminated_at: new Date() }).where('id', '=', other.tenantId).execute());
        return s.embedKey;
      },
    },
  ];

  it.each(rows)('$name → 401 embed_key_invalid', async (row) => {
    const site = await createSite(owner, ['shop.example.com']);
    const key = await row.key(site);
    const res =
      row.via === 'query'
        ? await t.app.inject({ url: `/widget/v1/config?key=${key}`, headers: { origin } })
        : await getConfig(t, key, origin);
    expect(res.statusCode).toBe(401);
    expect(errorCode(res)).toBe('embed_key_invalid');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('works in the query string as in the header', async () => {
    const site = await createSite(owner, ['shop.example.com']);
    const res = await t.app.inject({ url: `/widget/v1/config?key=${site.embedKey}`, headers: { origin } });
    expect(res.statusCode).toBe(200);
  });

  it('stops working at once when rotated; the new one works at once', async () => {
    const site = await createSite(owner, ['shop.example.com']);
    expect((await getConfig(t, site.embedKey, origin)).statusCode).toBe(200);
    const rotated = await t.app.inject({ method: 'POST', url: `/api/sites/${site.id}/rotate-key`, headers: owner.headers });
    expect(rotated.statusCode).toBe(200);
    const newKey = (rotated.json() as SiteView).embedKey;
    for (const app of [t, prod]) {
      const old = await getConfig(app, site.embedKey, origin);
      expect(old.statusCode).toBe(401);
      expect(errorCode(old)).toBe('embed_key_invalid');
      const session = await app.app.inject({ method: 'POST', url: '/widget/v1/session', headers: { 'x-cloop-key': site.embedKey, origin }, payload: {} });
      expect(session.statusCode).toBe(401);
      expect((await getConfig(app, newKey, origin)).statusCode).toBe(200);
    }
  });

  // The site behind a key is kept for a few seconds: every change made through the API must still show at once.
  const changes: { name: string; change: (user: TestUser, site: SiteView) => Promise<unknown>; expect: (res: Awaited<ReturnType<typeof getConfig>>) => void }[] = [
    {
      name: 'domains replaced',
      change: (u, s) => t.app.inject({ method: 'PATCH', url: `/api/sites/${s.id}`, headers: u.headers, payload: { domains: ['other.example.com'] } }),
      expect: (res) => expect(errorCode(res)).toBe('origin_not_allowed'),
    },
    {
      name: 'settings changed',
      change: (u, s) => t.app.inject({ method: 'PATCH', url: `/api/sites/${s.id}`, headers: u.headers, payload: { settings: { greeting: 'Changed just now' } } }),
      expect: (res) => expect((res.json() as WidgetConfig).greeting).toBe('Changed just now'),
    },
    {
      name: 'site deleted',
      change: (u, s) => t.app.inject({ method: 'DELETE', url: `/api/sites/${s.id}`, headers: u.headers }),
      expect: (res) => expect(errorCode(res)).toBe('embed_key_invalid'),
    },
    {
      name: 'tier changed (branding)',
      change: (u) => t.app.inject({ method: 'PUT', url: '/api/tenant/tier', headers: u.headers, payload: { tier: 'free' } }),
      expect: (res) => expect((res.json() as WidgetConfig).showBranding).toBe(true),
    },
    {
      name: 'tenant terminated',
      change: async (u) => {
        const name = ((await t.app.inject({ url: '/api/tenant', headers: u.headers })).json() as { name: string }).name;
        return t.app.inject({ method: 'DELETE', url: '/api/tenant', headers: u.headers, payload: { confirm: name } });
      },
      expect: (res) => expect(errorCode(res)).toBe('embed_key_invalid'),
    },
  ];

  it.each(changes)('$name after the key was used: takes effect at once', async (row) => {
    const user = await newOwner(t.app, t.deps);
    await setTierDirectly(t.deps, user.tenantId, 'business');
    const site = await createSite(user, ['shop.example.com']);
    expect((await getConfig(t, site.embedKey, origin)).statusCode).toBe(200);
    const changed = (await row.change(user, site)) as { statusCode: number; body: string };
    expect(changed.statusCode, changed.body).toBeLessThan(300);
    for (const app of [t, prod]) row.expect(await getConfig(app, site.embedKey, origin));
  });

  it(`a change made elsewhere (another process) shows within ${widgetSiteCacheMs} ms`, async () => {
    const site = await createSite(owner, ['shop.example.com']);
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      expect((await getConfig(t, site.embedKey, origin)).statusCode).toBe(200);
      await withTenant(database.db, owner.tenantId, (tx) => tx.updateTable('sites').set({ domains: ['other.example.com'] }).where('id', '=', site.id).execute());
      vi.advanceTimersByTime(widgetSiteCacheMs - 1);
      expect((await getConfig(t, site.embedKey, origin)).statusCode).toBe(200); // still the kept copy
      vi.advanceTimersByTime(1);
      expect(errorCode(await getConfig(t, site.embedKey, origin))).toBe('origin_not_allowed');
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('CORS', () => {
  it('answers the request origin, with Vary: Origin and never with credentials', async () => {
    const site = await createSite(owner, ['shop.example.com', 'www.shop.example.com']);
    for (const from of ['https://shop.example.com', 'https://www.shop.example.com']) {
      const res = await getConfig(t, site.embedKey, from);
      expect(res.headers['access-control-allow-origin']).toBe(from);
      expect(String(res.headers.vary)).toMatch(/\bOrigin\b/i);
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    }
    // Errors after the origin check carry CORS headers too (the widget must be able to read them).
    const unauthorized = await t.app.inject({ method: 'POST', url: '/widget/v1/chat', headers: { 'x-cloop-key': site.embedKey, origin }, payload: { message: 'hi' } });
    expect(unauthorized.statusCode).toBe(401);
    expect(unauthorized.headers['access-control-allow-origin']).toBe(origin);
    expect(unauthorized.headers['access-control-allow-credentials']).toBeUndefined();
    expect(String(unauthorized.headers.vary)).toMatch(/\bOrigin\b/i);
  });

  const preflight = (url: string, from: string) =>
    t.app.inject({ method: 'OPTIONS', url, headers: { origin: from, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization, x-cloop-key' } });

  it('preflight with ?key= from a registered origin is allowed', async () => {
    const site = await createSite(owner, ['shop.example.com']);
    for (const path of ['/widget/v1/chat', '/widget/v1/session', '/widget/v1/lead', '/widget/v1/config']) {
      const res = await preflight(`${path}?key=${site.embedKey}`, origin);
      expect(res.statusCode).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(origin);
      expect(String(res.headers['access-control-allow-methods'])).toContain('POST');
      expect(String(res.headers['access-control-allow-headers']).split(/,\s*/).sort()).toEqual(['authorization', 'content-type', 'x-cloop-key']);
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    }
  });

  const refusedPreflights: { name: string; url: (key: string) => string; origin: string }[] = [
    { name: 'without a key', url: () => '/widget/v1/chat', origin },
    { name: 'with an unknown key', url: () => '/widget/v1/chat?key=ck_CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC', origin },
    { name: 'for a foreign origin', url: (key) => `/widget/v1/chat?key=${key}`, origin: 'https://evil.example.net' },
    { name: 'for the null origin', url: (key) => `/widget/v1/chat?key=${key}`, origin: 'null' },
  ];
  it.each(refusedPreflights)('preflight $name gets no allow-origin', async (row) => {
    const site = await createSite(owner, ['shop.example.com']);
    const res = await preflight(row.url(site.embedKey), row.origin);
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('no widget response ever sets a cookie', async () => {
    const site = await createSite(owner, ['shop.example.com']);
    const visitor = widgetClient(t.app, site.embedKey, origin);
    const responses = [
      await getConfig(t, site.embedKey, origin),
      await getConfig(t, undefined, origin),
      await getConfig(t, site.embedKey, 'https://evil.example.net'),
      await preflight(`/widget/v1/chat?key=${site.embedKey}`, origin),
      await t.app.inject({ method: 'POST', url: '/widget/v1/session', headers: { 'x-cloop-key': site.embedKey, origin }, payload: {} }),
    ];
    await visitor.session();
    const chat = await visitor.chat('Hello, do you ship to Sweden?', { pageUrl: 'https://shop.example.com/' });
    const done = chat.events.find((e) => e.type === 'done' || e.type === 'phase') as { conversationId: string };
    responses.push(
      chat.res,
      await visitor.inject({ url: `/widget/v1/conversations/${done.conversationId}/messages` }),
      await visitor.inject({ method: 'POST', url: '/widget/v1/lead', payload: { conversationId: done.conversationId, email: 'a@example.com' } }),
      await visitor.inject({ method: 'POST', url: '/widget/v1/lead', payload: { conversationId: done.conversationId, email: 'not an email' } }),
      await visitor.inject({ url: '/widget/v1/conversations/nope/messages' }),
    );
    for (const res of responses) expect(res.headers['set-cookie'], `${res.statusCode} ${res.body.slice(0, 80)}`).toBeUndefined();
  });
});

describe('visitor token', () => {
  it('is required for chat, history and lead', async () => {
    const site = await createSite(owner, ['shop.example.com']);
    const headers = { 'x-cloop-key': site.embedKey, origin };
    const calls = [
      t.app.inject({ method: 'POST', url: '/widget/v1/chat', headers, payload: { message: 'hi' } }),
      t.app.inject({ url: '/widget/v1/conversations/00000000-0000-4000-8000-000000000000/messages', headers }),
      t.app.inject({ method: 'POST', url: '/widget/v1/lead', headers, payload: { conversationId: '00000000-0000-4000-8000-000000000000', email: 'a@example.com' } }),
      t.app.inject({ method: 'POST', url: '/widget/v1/chat', headers: { ...headers, authorization: 'Bearer short' }, payload: { message: 'hi' } }),
    ];
    for (const res of await Promise.all(calls)) {
      expect(res.statusCode).toBe(401);
      expect(errorCode(res)).toBe('unauthorized');
    }
  });

  it('refuses forged, foreign, tampered and expired tokens with 401 invalid_token', async () => {
    const secret = t.config.secret;
    // Two registered origins, a second site of the same tenant on the same origin, and another tenant's site.
    const site = await createSite(owner, ['shop.example.com', 'blog.example.com']);
    const sibling = await createSite(owner, ['shop.example.com']);
    const stranger = await newOwner(t.app, t.deps);
    const foreign = await createSite(stranger, ['shop.example.com']);
    const own = widgetClient(t.app, site.embedKey, origin);
    const { token, visitorId: ownSecret } = await own.session();
    const first = await own.chat('Do you ship to Sweden?');
    const conversationId = (first.events[0] as { conversationId: string }).conversationId;
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sub: string };
    const visitorUuid = claims.sub;

    const fromBlog = await widgetClient(t.app, site.embedKey, 'https://blog.example.com').session();
    const fromSibling = await widgetClient(t.app, sibling.embedKey, origin).session();
    const fromForeign = await widgetClient(t.app, foreign.embedKey, origin).session();
    // An expired token: the same signer with a one-second lifetime (made now, used after the wait below).
    const expired = await createVisitorTokens(secret, 1).sign({ visitorId: visitorUuid, siteId: site.id, origin });
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const swap = (p: Record<string, unknown>) => Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), ...p })).toString('base64url');
    const flip = (s: string) => (s[5] === 'A' ? `${s.slice(0, 5)}B${s.slice(6)}` : `${s.slice(0, 5)}A${s.slice(6)}`);
    const noneHeader = Buffer.from(JSON.stringify({ alg: 'none', typ: 'visitor+jwt' })).toString('base64url');
    const otherSecretKey = new TextEncoder().encode('another-secret-another-secret-0123456789ab');
    const rawJose = (key: Uint8Array, claims: Record<string, unknown>, typ = 'visitor+jwt') =>
      new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ }).setSubject(visitorUuid).setAudience(typeof claims.aud === 'string' ? claims.aud : 'cloop-widget').setIssuedAt().setExpirationTime('1h').sign(key);
    const derivedKey = new Uint8Array(hkdfSync('sha256', secret, 'cloop', 'cloop visitor tokens v1', 32));
    // The same key through a standard JWT library: such a token is accepted (tokens are plain HS256 JWTs).
    const standard = await rawJose(derivedKey, { site: site.id, org: origin });
    expect((await t.app.inject({ url: `/widget/v1/conversations/${conversationId}/messages`, headers: { 'x-cloop-key': site.embedKey, origin, authorization: `Bearer ${standard}` } })).statusCode).toBe(200);

    // Every row is sent from the shop origin with the site's own key.
    const rows: { name: string; token: string; from?: string }[] = [
      { name: 'token issued for another registered origin', token: fromBlog.token },
      { name: 'token of another site of the same tenant', token: fromSibling.token },
      { name: 'token of another tenant’s site', token: fromForeign.token },
      { name: 'payload changed to another visitor (signature kept)', token: `${header}.${swap({ sub: '00000000-0000-4000-8000-000000000000' })}.${signature}` },
      { name: 'payload re-bound to another origin (signature kept)', token: `${header}.${swap({ org: 'https://blog.example.com' })}.${signature}` },
      { name: 'signature tampered', token: `${header}.${payload}.${flip(signature)}` },
      { name: 'alg none', token: `${noneHeader}.${payload}.` },
      { name: 'signed with another secret', token: await rawJose(otherSecretKey, { site: site.id, org: origin }) },
      { name: 'signed with the raw CLOOP_SECRET (no key derivation)', token: await rawJose(new TextEncoder().encode(secret), { site: site.id, org: origin }) },
      { name: 'the visitor id secret instead of a token', token: ownSecret },
      { name: 'a dashboard access token', token: owner.accessToken },
      { name: 'expired', token: expired },
      // Signed with the right key, but not a token Cloop issues:
      { name: 'no expiry', token: await new SignJWT({ site: site.id, org: origin }).setProtectedHeader({ alg: 'HS256', typ: 'visitor+jwt' }).setSubject(visitorUuid).setAudience('cloop-widget').sign(derivedKey) },
      { name: 'another audience', token: await rawJose(derivedKey, { site: site.id, org: origin, aud: 'cloop-api' }) },
      { name: 'another type', token: await rawJose(derivedKey, { site: site.id, org: origin }, 'JWT') },
      { name: 'no subject', token: await new SignJWT({ site: site.id, org: origin }).setProtectedHeader({ alg: 'HS256', typ: 'visitor+jwt' }).setAudience('cloop-widget').setExpirationTime('1h').sign(derivedKey) },
    ];
    await sleep(2_100);
    for (const row of rows) {
      const headers = { 'x-cloop-key': site.embedKey, origin: row.from ?? origin, authorization: `Bearer ${row.token}` };
      const history = await t.app.inject({ url: `/widget/v1/conversations/${conversationId}/messages`, headers });
      expect(history.statusCode, row.name).toBe(401);
      expect(['invalid_token', 'unauthorized'], row.name).toContain(errorCode(history));
      const chat = await t.app.inject({ method: 'POST', url: '/widget/v1/chat', headers, payload: { message: 'What is your return policy?', conversationId } });
      expect(chat.statusCode, row.name).toBe(401);
      const lead = await t.app.inject({ method: 'POST', url: '/widget/v1/lead', headers, payload: { conversationId, email: 'mallory@example.com' } });
      expect(lead.statusCode, row.name).toBe(401);
    }
    // Nothing of that reached the conversation.
    const after = (await own.inject({ url: `/widget/v1/conversations/${conversationId}/messages` })).json() as HistoryResponse;
    expect(after.messages.filter((m) => m.role === 'user')).toHaveLength(1);
    expect(after.hasEmail).toBe(false);
  });

  it('a token from a registered origin still works from that origin only', async () => {
    const site = await createSite(owner, ['shop.example.com', 'blog.example.com']);
    const shop = widgetClient(t.app, site.embedKey, origin);
    await shop.session();
    expect((await shop.chat('Hello')).res.statusCode).toBe(200);
    const res = await t.app.inject({ method: 'POST', url: '/widget/v1/chat', headers: { 'x-cloop-key': site.embedKey, origin: 'https://blog.example.com', authorization: `Bearer ${shop.token}` }, payload: { message: 'Hello' } });
    expect(res.statusCode).toBe(401);
    expect(errorCode(res)).toBe('invalid_token');
  });
});

describe('conversations belong to their visitor', () => {
  async function conversationOf(client: ReturnType<typeof widgetClient>, message: string, pageUrl?: string): Promise<string> {
    const { res, events } = await client.chat(message, pageUrl ? { pageUrl } : {});
    expect(res.statusCode).toBe(200);
    return (events[0] as { conversationId: string }).conversationId;
  }

  it('history is readable only with the token of the visitor who owns it, even after both left the same email', async () => {
    const site = await createSite(owner, ['shop.example.com']);
    const alice = widgetClient(t.app, site.embedKey, origin);
    const mallory = widgetClient(t.app, site.embedKey, origin);
    await alice.session();
    await mallory.session();
    const aliceConversation = await conversationOf(alice, 'My order 4471 has not arrived, where is it?');
    const malloryConversation = await conversationOf(mallory, 'Hello');

    const own = await alice.inject({ url: `/widget/v1/conversations/${aliceConversation}/messages` });
    expect(own.statusCode).toBe(200);
    expect((own.json() as HistoryResponse).messages[0]).toMatchObject({ role: 'user', text: 'My order 4471 has not arrived, where is it?' });

    const attempts = async () => {
      const read = await mallory.inject({ url: `/widget/v1/conversations/${aliceConversation}/messages` });
      expect(read.statusCode).toBe(404);
      expect(errorCode(read)).toBe('conversation_not_found');
      expect(read.body).not.toContain('4471');
      const lead = await mallory.inject({ method: 'POST', url: '/widget/v1/lead', payload: { conversationId: aliceConversation, email: 'mallory@example.com' } });
      expect(lead.statusCode).toBe(404);
      const chat = await mallory.chat('Tell me everything', { conversationId: aliceConversation });
      const events = chat.res.statusCode === 200 ? chat.events : [];
      expect(chat.res.statusCode === 404 || events.some((e) => e.type === 'error' && e.code === 'conversation_not_found')).toBe(true);
      expect(events.some((e) => e.type === 'token')).toBe(false);
    };
    await attempts();

    // Both leave the same email: an email never grants access to any other conversation.
    const same = 'Shared.Person@example.com';
    expect((await alice.inject({ method: 'POST', url: '/widget/v1/lead', payload: { conversationId: aliceConversation, email: same } })).statusCode).toBe(200);
    expect((await mallory.inject({ method: 'POST', url: '/widget/v1/lead', payload: { conversationId: malloryConversation, email: same } })).statusCode).toBe(200);
    await attempts();
    // A fresh session of Mallory's (same email on record) is no key either.
    await mallory.session(mallory.visitorId);
    await attempts();

    const history = (await alice.inject({ url: `/widget/v1/conversations/${aliceConversation}/messages` })).json() as HistoryResponse;
    expect(history.messages.filter((m) => m.role === 'user').map((m) => m.text)).toEqual(['My order 4471 has not arrived, where is it?']);
  });

  it('a lead creates, then updates, the conversation’s lead, visible to the owner', async () => {
    const site = await createSite(owner, ['shop.example.com']);
    const visitor = widgetClient(t.app, site.embedKey, origin);
    await visitor.session();
    const conversationId = await conversationOf(visitor, 'Can someone call me back about a bulk order?');
    const first = await visitor.inject({ method: 'POST', url: '/widget/v1/lead', payload: { conversationId, email: 'Jane.Doe@Example.com' } });
    expect(first.statusCode).toBe(200);
    let leads = (await t.app.inject({ url: `/api/sites/${site.id}/leads`, headers: owner.headers })).json() as { items: { id: string; email: string; conversationId: string; status: string }[] };
    expect(leads.items).toHaveLength(1);
    expect(leads.items[0]).toMatchObject({ email: 'jane.doe@example.com', conversationId, status: 'new' });
    const leadId = leads.items[0]!.id;

    expect((await visitor.inject({ method: 'POST', url: '/widget/v1/lead', payload: { conversationId, email: 'jane@work.example' } })).statusCode).toBe(200);
    leads = (await t.app.inject({ url: `/api/sites/${site.id}/leads`, headers: owner.headers })).json();
    expect(leads.items).toEqual([expect.objectContaining({ id: leadId, email: 'jane@work.example', conversationId })]);
    expect(((await visitor.inject({ url: `/widget/v1/conversations/${conversationId}/messages` })).json() as HistoryResponse).hasEmail).toBe(true);

    const invalid = await visitor.inject({ method: 'POST', url: '/widget/v1/lead', payload: { conversationId, email: 'not-an-email' } });
    expect(invalid.statusCode).toBe(400);
  });

  it('a returning visitor (stored visitor id) is the same visitor; an unknown or foreign id gets a fresh one', async () => {
    const site = await createSite(owner, ['shop.example.com']);
    const otherSite = await createSite(owner, ['shop.example.com']);
    const first = widgetClient(t.app, site.embedKey, origin);
    const { visitorId } = await first.session();
    expect(visitorId).toMatch(/^[A-Za-z0-9_-]{40,64}$/);
    const conversationId = await conversationOf(first, 'Do you sell tents?');

    const returning = widgetClient(t.app, site.embedKey, origin);
    const again = await returning.session(visitorId);
    expect(again.visitorId).toBe(visitorId);
    const history = await returning.inject({ url: `/widget/v1/conversations/${conversationId}/messages` });
    expect(history.statusCode).toBe(200);
    expect((history.json() as HistoryResponse).messages[0]?.text).toBe('Do you sell tents?');

    const strangers: { name: string; client: ReturnType<typeof widgetClient>; id: string }[] = [
      { name: 'unknown id', client: widgetClient(t.app, site.embedKey, origin), id: 'x'.repeat(43) },
      { name: 'the id from another site', client: widgetClient(t.app, otherSite.embedKey, origin), id: visitorId },
    ];
    for (const s of strangers) {
      const fresh = await s.client.session(s.id);
      expect(fresh.visitorId, s.name).not.toBe(s.id);
      expect(fresh.visitorId, s.name).toMatch(/^[A-Za-z0-9_-]{40,64}$/);
      const res = await s.client.inject({ url: `/widget/v1/conversations/${conversationId}/messages` });
      expect(res.statusCode, s.name).toBe(404);
    }
    const malformed = await t.app.inject({ method: 'POST', url: '/widget/v1/session', headers: { 'x-cloop-key': site.embedKey, origin }, payload: { visitorId: 'short' } });
    expect(malformed.statusCode).toBe(400);
  });

  it('the conversation records its entry page (the first page only)', async () => {
    const site = await createSite(owner, ['shop.example.com']);
    const visitor = widgetClient(t.app, site.embedKey, origin);
    await visitor.session();
    const conversationId = await conversationOf(visitor, 'Do you ship to Norway?', 'https://shop.example.com/shipping?ref=ad');
    await visitor.chat('And to Iceland?', { conversationId, pageUrl: 'https://shop.example.com/other' });
    const list = (await t.app.inject({ url: `/api/sites/${site.id}/conversations`, headers: owner.headers })).json() as { items: { id: string; entryPage: string | null; messageCount: number }[] };
    expect(list.items).toEqual([expect.objectContaining({ id: conversationId, entryPage: 'https://shop.example.com/shipping?ref=ad' })]);
    expect(list.items[0]!.messageCount).toBe(4);
  });

  it('stores no IP address: not as a column, not as a value', async () => {
    const ip = '198.51.100.73';
    const other = await newOwner(t.app, t.deps);
    const site = await createSite(other, ['shop.example.com']);
    const headers = { 'x-cloop-key': site.embedKey, origin };
    const session = await t.app.inject({ method: 'POST', url: '/widget/v1/session', headers, payload: {}, remoteAddress: ip });
    const auth = { ...headers, authorization: `Bearer ${(session.json() as { token: string }).token}` };
    const chat = await t.app.inject({ method: 'POST', url: '/widget/v1/chat', headers: auth, payload: { message: 'Do you ship to Denmark?', pageUrl: 'https://shop.example.com/' }, remoteAddress: ip });
    const conversationId = (chat.body.match(/"conversationId":"([^"]+)"/) ?? [])[1]!;
    await t.app.inject({ method: 'POST', url: '/widget/v1/chat', headers: auth, payload: { message: 'And Finland?', conversationId }, remoteAddress: ip });
    await t.app.inject({ method: 'POST', url: '/widget/v1/lead', headers: auth, payload: { conversationId, email: 'ip-test@example.com' }, remoteAddress: ip });

    const tables = ['visitors', 'conversations', 'messages', 'leads', 'ai_usage', 'audit_events'] as const;
    const rows = await withTenant(t.deps.database.db, other.tenantId, async (tx) => {
      const out: Record<string, unknown[]> = {};
      for (const table of tables) out[table] = await tx.selectFrom(table).selectAll().execute();
      return out;
    });
    expect(rows.visitors).toHaveLength(1);
    expect(rows.messages!.length).toBeGreaterThanOrEqual(4);
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(ip);
    expect(dump).not.toContain('127.0.0.1');
    const columns = await withSystem(t.deps.database.db, (tx) =>
      tx.selectFrom('information_schema.columns' as never).select(['table_name' as never, 'column_name' as never]).where('table_name' as never, 'in', ['visitors', 'conversations', 'messages', 'leads'] as never).execute(),
    );
    expect(columns.length).toBeGreaterThan(20);
    const ipLike = (columns as { table_name: string; column_name: string }[]).filter((c) => /(^|_)(ip|ips|addr|address|remote|forwarded)(_|$)/i.test(c.column_name));
    expect(ipLike).toEqual([]);
  });
});
