import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../server/db/database.ts';
import { withTenant } from '../server/db/tenant.ts';
import { buildTestApp, openTestDatabase } from './harness.ts';
import { joinAs, newOwner, setTierDirectly, type TestUser } from './sessions.ts';

// The cross-tenant sweep: every route the app registers is called as tenant B with tenant A's ids.
// Routes with tenant data must answer 404 (never 403) and leak nothing of A. A route this sweep
// cannot classify fails the test, so a new route cannot skip it.

let database: Database;
let t: Awaited<ReturnType<typeof buildTestApp>>;
let a: TestUser;
let b: TestUser;
let aMember: TestUser;
const ids: Record<string, string> = {};
const secretsOfA: string[] = [];

beforeAll(async () => {
  database = await openTestDatabase();
  t = await buildTestApp(database);
  a = await newOwner(t.app, t.deps);
  b = await newOwner(t.app, t.deps);
  await setTierDirectly(t.deps, a.tenantId, 'business');
  await setTierDirectly(t.deps, b.tenantId, 'business');
  const site = (await t.app.inject({ method: 'POST', url: '/api/sites', headers: a.headers, payload: { name: 'A-secret-site', domains: ['a-secret.example.com'] } })).json();
  aMember = await joinAs(t.app, t.deps, a.tenantId, 'member');
  const invitation = (await t.app.inject({ method: 'POST', url: '/api/invitations', headers: a.headers, payload: { email: 'a-invitee@example.com', role: 'member' } })).json();
  ids.siteId = site.id;
  ids.userId = aMember.userId;
  ids.invitationId = invitation.invitation.id;
  Object.assign(
    ids,
    await withTenant(database.db, a.tenantId, async (tx) => {
      const source = await tx.insertInto('sources').values({ tenant_id: a.tenantId, site_id: site.id, kind: 'page', url: 'https://a-secret.example.com/page', status: 'ready' }).returning('id').executeTakeFirstOrThrow();
      const visitor = await tx.insertInto('visitors').values({ tenant_id: a.tenantId, site_id: site.id, secret_hash: `h-${a.tenantId}` }).returning('id').executeTakeFirstOrThrow();
      const conversation = await tx.insertInto('conversations').values({ tenant_id: a.tenantId, site_id: site.id, visitor_id: visitor.id, entry_page: 'https://a-secret.example.com/' }).returning('id').executeTakeFirstOrThrow();
      await tx.insertInto('messages').values({ tenant_id: a.tenantId, site_id: site.id, conversation_id: conversation.id, role: 'user', text: 'A-secret-question' }).execute();
      const lead = await tx.insertInto('leads').values({ tenant_id: a.tenantId, site_id: site.id, conversation_id: conversation.id, visitor_id: visitor.id, email: 'a-lead@example.com' }).returning('id').executeTakeFirstOrThrow();
      return { sourceId: source.id, conversationId: conversation.id, leadId: lead.id };
    }),
  );
  secretsOfA.push('A-secret-question', 'a-lead@example.com');
  secretsOfA.push(site.id, site.embedKey, 'A-secret-site', 'a-secret.example.com', a.email, aMember.email, 'a-invitee@example.com', invitation.invitation.id);
});
afterAll(async () => {
  await t?.close();
  await database?.close();
});

/** Routes anyone or any signed-in user may call: tenant-free by design, checked for leaks only. */
const tenantFree = new Set([
  'GET /healthz',
  'GET /readyz',
  'GET /.well-known/security.txt',
  'GET /api/auth/providers',
  'GET /api/auth/:provider/start',
  'GET /api/auth/:provider/callback',
  'POST /api/auth/exchange',
  'POST /api/auth/signin-link',
  'POST /api/auth/refresh',
  'POST /api/auth/logout',
  'POST /api/auth/logout-all',
  'POST /api/auth/switch-tenant',
  'GET /api/me',
  'POST /api/invitations/accept',
  // The widget API resolves its site from the embed key and checks the origin (widget tests cover it).
  'OPTIONS /widget/v1/*',
  'GET /widget/v1/config',
  'POST /widget/v1/session',
  'POST /widget/v1/chat',
  'GET /widget/v1/conversations/:conversationId/messages',
  'POST /widget/v1/lead',
  'GET /widget.js',
  // The dashboard's static pages (the app itself authenticates its API calls).
  'GET /',
  'GET /app',
  'GET /app/*',
  'GET /widget/v1/app.js',
]);

/** A plausible body per route, so validation passes and the ownership check is what answers. */
const bodies: Record<string, unknown> = {
  'PATCH /api/sites/:siteId': { name: 'pwned' },
  'PATCH /api/members/:userId': { role: 'admin' },
  'POST /api/auth/switch-tenant': {},
  'POST /api/sites/:siteId/sources': { kind: 'page', url: 'https://example.com/' },
  'POST /api/sites/:siteId/search': { query: 'secret' },
  'PATCH /api/sites/:siteId/leads/:leadId': { status: 'closed' },
};

function fill(url: string): string {
  return url.replace(/:(\w+)/g, (_m, name: string) => {
    const id = ids[name];
    if (!id) throw new Error(`The sweep does not know the parameter :${name} in ${url} — add A's id for it`);
    return id;
  });
}

describe('cross-tenant sweep', () => {
  it('covers every route and lets tenant B reach nothing of tenant A', async () => {
    await t.app.ready();
    const swept: string[] = [];
    for (const route of t.app.routeTable) {
      const key = `${route.method} ${route.url}`;
      if (route.method === 'HEAD') continue;
      if (tenantFree.has(key)) {
        expect(route.auth, `${key} is listed as tenant-free`).not.toBe('tenant');
        continue;
      }
      expect(route.auth, `${key} is not tenant-free, so it must require a tenant member`).toBe('tenant');
      const hasParams = route.url.includes(':');
      const req: InjectOptions = { method: route.method as InjectOptions['method'], url: fill(route.url), headers: b.headers };
      const body = bodies[key];
      if (body !== undefined) req.payload = body as object;
      else if (['POST', 'PUT', 'PATCH'].includes(route.method)) req.payload = {};
      const res = await t.app.inject(req);
      if (hasParams) {
        expect(res.statusCode, `${key} as tenant B with A's ids`).toBe(404);
      } else {
        expect([200, 201, 204, 400, 402, 403, 404], `${key} as tenant B`).toContain(res.statusCode);
      }
      for (const secret of secretsOfA) expect(res.body, `${key} leaked A's data`).not.toContain(secret);
      swept.push(key);
    }
    expect(swept.length).toBeGreaterThanOrEqual(12);
    // A's data is intact after the sweep.
    const site = await t.app.inject({ url: `/api/sites/${ids.siteId}`, headers: a.headers });
    expect(site.json().name).toBe('A-secret-site');
    const members = (await t.app.inject({ url: '/api/members', headers: a.headers })).json();
    expect(members.items.map((m: { userId: string }) => m.userId)).toContain(ids.userId);
  });

  it('tenant-free routes leak nothing of another tenant either', async () => {
    for (const url of ['/api/me', '/api/auth/providers']) {
      const res = await t.app.inject({ url, headers: b.headers });
      expect(res.statusCode).toBe(200);
      for (const secret of secretsOfA) expect(res.body).not.toContain(secret);
    }
    const sw = await t.app.inject({ method: 'POST', url: '/api/auth/switch-tenant', headers: b.headers, payload: { tenantId: a.tenantId } });
    expect(sw.statusCode).toBe(404);
  });
});
