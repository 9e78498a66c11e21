import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.ts';
import { buildTestApp, openTestDatabase } from '../../test/harness.ts';
import { joinAs, newOwner, setTierDirectly, type TestUser } from '../../test/sessions.ts';

let database: Database;
let t: Awaited<ReturnType<typeof buildTestApp>>;
beforeAll(async () => {
  database = await openTestDatabase();
  t = await buildTestApp(database);
});
afterAll(async () => {
  await t?.close();
  await database?.close();
});

async function create(user: TestUser, payload: unknown) {
  return t.app.inject({ method: 'POST', url: '/api/sites', headers: user.headers, payload: payload as object });
}

describe('sites', () => {
  it('are created with an id and an embed key, listed, read, changed and deleted', async () => {
    const owner = await newOwner(t.app, t.deps);
    const res = await create(owner, { name: 'Help center', domains: ['Help.Example.com', 'localhost:8080'] });
    expect(res.statusCode).toBe(201);
    const site = res.json();
    expect(site).toMatchObject({ name: 'Help center', domains: ['help.example.com', 'localhost:8080'] });
    expect(site.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(site.embedKey).toMatch(/^ck_[\w-]{32}$/);
    expect(site.settings).toMatchObject({ languages: ['en'], emailCapture: 'on_request', position: 'bottom-right' });

    const list = await t.app.inject({ url: '/api/sites', headers: owner.headers });
    expect(list.json()).toEqual({ items: [site], nextCursor: null });

    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/api/sites/${site.id}`,
      headers: owner.headers,
      payload: { name: 'Docs', settings: { greeting: 'Hei!', languages: ['fi', 'en'], colors: { primary: '#112233' } } },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json().settings).toMatchObject({ greeting: 'Hei!', languages: ['fi', 'en'], colors: { primary: '#112233', text: '#ffffff' } });

    const rotated = await t.app.inject({ method: 'POST', url: `/api/sites/${site.id}/rotate-key`, headers: owner.headers });
    expect(rotated.json().embedKey).not.toBe(site.embedKey);

    expect((await t.app.inject({ method: 'DELETE', url: `/api/sites/${site.id}`, headers: owner.headers })).statusCode).toBe(204);
    expect((await t.app.inject({ url: `/api/sites/${site.id}`, headers: owner.headers })).statusCode).toBe(404);
  });

  it('audit each change with old and new values', async () => {
    const owner = await newOwner(t.app, t.deps);
    await setTierDirectly(t.deps, owner.tenantId, 'pro');
    const site = (await create(owner, { name: 'A', domains: ['a.example.com'] })).json();
    await t.app.inject({ method: 'PATCH', url: `/api/sites/${site.id}`, headers: owner.headers, payload: { domains: ['b.example.com'], settings: { position: 'bottom-left' } } });
    await t.app.inject({ method: 'POST', url: `/api/sites/${site.id}/rotate-key`, headers: owner.headers });
    const audit = (await t.app.inject({ url: '/api/audit?action=site.', headers: owner.headers })).json();
    expect(audit.items.map((e: { action: string }) => e.action)).toEqual(['site.embed_key_rotated', 'site.updated', 'site.created']);
    expect(audit.items[1].metadata.changes).toEqual({
      domains: { old: ['a.example.com'], new: ['b.example.com'] },
      'settings.position': { old: 'bottom-right', new: 'bottom-left' },
    });
    expect(JSON.stringify(audit)).not.toContain(site.embedKey);
  });

  it('page through many sites', async () => {
    const owner = await newOwner(t.app, t.deps);
    await setTierDirectly(t.deps, owner.tenantId, 'business');
    for (let i = 0; i < 5; i++) expect((await create(owner, { name: `site ${i}` })).statusCode).toBe(201);
    const first = (await t.app.inject({ url: '/api/sites?limit=2', headers: owner.headers })).json();
    expect(first.items).toHaveLength(2);
    const second = (await t.app.inject({ url: `/api/sites?limit=2&cursor=${first.nextCursor}`, headers: owner.headers })).json();
    const third = (await t.app.inject({ url: `/api/sites?limit=2&cursor=${second.nextCursor}`, headers: owner.headers })).json();
    expect(third.nextCursor).toBeNull();
    const names = [...first.items, ...second.items, ...third.items].map((s: { name: string }) => s.name);
    expect(names).toEqual(['site 4', 'site 3', 'site 2', 'site 1', 'site 0']);
  });

  it("of another tenant are a 404, never a 403", async () => {
    const a = await newOwner(t.app, t.deps);
    const b = await newOwner(t.app, t.deps);
    const site = (await create(a, { name: 'Private' })).json();
    for (const req of [
      { method: 'GET' as const, url: `/api/sites/${site.id}` },
      { method: 'PATCH' as const, url: `/api/sites/${site.id}`, payload: { name: 'pwned' } },
      { method: 'DELETE' as const, url: `/api/sites/${site.id}` },
      { method: 'POST' as const, url: `/api/sites/${site.id}/rotate-key` },
    ]) {
      const res = await t.app.inject({ ...req, headers: b.headers });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('site_not_found');
    }
    expect((await t.app.inject({ url: `/api/sites/${site.id}`, headers: a.headers })).json().name).toBe('Private');
  });

  it('enforce the tier: site count and custom persona', async () => {
    const owner = await newOwner(t.app, t.deps);
    expect((await create(owner, { name: 'one' })).statusCode).toBe(201);
    const second = await create(owner, { name: 'two' });
    expect(second.statusCode).toBe(402);
    expect(second.json().error).toMatchObject({ code: 'tier_limit', details: { limit: 'sites', max: 1, tier: 'free' } });
    const site = (await t.app.inject({ url: '/api/sites', headers: owner.headers })).json().items[0];
    const persona = await t.app.inject({ method: 'PATCH', url: `/api/sites/${site.id}`, headers: owner.headers, payload: { settings: { persona: 'You are Bob.' } } });
    expect(persona.statusCode).toBe(403);
    expect(persona.json().error).toMatchObject({ code: 'feature_not_in_tier', details: { feature: 'customPersona' } });
  });

  it('are read-only for Members', async () => {
    const owner = await newOwner(t.app, t.deps);
    const site = (await create(owner, { name: 'Team site' })).json();
    const member = await joinAs(t.app, t.deps, owner.tenantId, 'member');
    expect((await t.app.inject({ url: `/api/sites/${site.id}`, headers: member.headers })).statusCode).toBe(200);
    const res = await t.app.inject({ method: 'PATCH', url: `/api/sites/${site.id}`, headers: member.headers, payload: { name: 'x' } });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('forbidden');
  });
});

describe('bad site input', () => {
  let owner: TestUser;
  beforeAll(async () => {
    owner = await newOwner(t.app, t.deps);
  });

  const cases: { name: string; payload: unknown; fields: string[] }[] = [
    { name: 'missing name', payload: { domains: [] }, fields: ['name'] },
    { name: 'scheme in domain', payload: { name: 'x', domains: ['https://example.com'] }, fields: ['domains.0'] },
    { name: 'path in domain', payload: { name: 'x', domains: ['example.com/path'] }, fields: ['domains.0'] },
    { name: 'bare wildcard', payload: { name: 'x', domains: ['*'] }, fields: ['domains.0'] },
    { name: 'wildcard on a TLD', payload: { name: 'x', domains: ['*.com'] }, fields: ['domains.0'] },
    { name: 'IP address', payload: { name: 'x', domains: ['10.0.0.1'] }, fields: ['domains.0'] },
    { name: 'bad colour and unknown language', payload: { name: 'x', settings: { colors: { primary: 'red' }, languages: ['xx'] } }, fields: ['settings.colors.primary', 'settings.languages.0'] },
    { name: 'unknown field', payload: { name: 'x', admin: true }, fields: ['(body)'] },
    { name: 'too many starter questions', payload: { name: 'x', settings: { starterQuestions: ['1', '2', '3', '4', '5', '6', '7'] } }, fields: ['settings.starterQuestions'] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const res = await create(owner, c.payload);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('validation_failed');
      expect(res.json().error.details.fields.map((f: { field: string }) => f.field)).toEqual(expect.arrayContaining(c.fields));
    });
  }

  it('accepts an explicit wildcard and localhost outside production', async () => {
    const res = await create(owner, { name: 'w', domains: ['*.example.com', 'localhost'] });
    expect(res.statusCode).toBe(201);
    expect(res.json().domains).toEqual(['*.example.com', 'localhost']);
  });

  it('answers 404 for a malformed site id and 401 without a token', async () => {
    expect((await t.app.inject({ url: '/api/sites/not-a-uuid', headers: owner.headers })).statusCode).toBe(404);
    expect((await t.app.inject({ url: '/api/sites' })).json().error.code).toBe('unauthorized');
  });
});
