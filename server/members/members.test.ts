import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.ts';
import { withSystem } from '../db/tenant.ts';
import { buildTestApp, openTestDatabase } from '../../test/harness.ts';
import { joinAs, newOwner, setTierDirectly } from '../../test/sessions.ts';

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

const tokenOf = (inviteUrl: string) => inviteUrl.split('#invite=')[1]!;

describe('invitations', () => {
  it('let the invitee with the matching verified email join with the invited role, once', async () => {
    const owner = await newOwner(t.app, t.deps);
    const inviteeEmail = `invitee-${Math.random()}@example.com`;
    const created = await t.app.inject({ method: 'POST', url: '/api/invitations', headers: owner.headers, payload: { email: inviteeEmail, role: 'admin' } });
    expect(created.statusCode).toBe(201);
    const { invitation, inviteUrl } = created.json();
    expect(inviteUrl).toMatch(/\/app\/#invite=[\w-]{43}$/);
    expect(invitation).toMatchObject({ email: inviteeEmail, role: 'admin' });
    expect((await t.app.inject({ url: '/api/invitations', headers: owner.headers })).json().items).toHaveLength(1);

    const invitee = await newOwner(t.app, t.deps, inviteeEmail);
    const accepted = await t.app.inject({ method: 'POST', url: '/api/invitations/accept', headers: invitee.headers, payload: { token: tokenOf(inviteUrl) } });
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json()).toEqual({ tenantId: owner.tenantId, role: 'admin' });
    const me = (await t.app.inject({ url: '/api/me', headers: invitee.headers })).json();
    expect(me.memberships.map((m: { tenantId: string; role: string }) => [m.tenantId, m.role])).toContainEqual([owner.tenantId, 'admin']);

    const again = await t.app.inject({ method: 'POST', url: '/api/invitations/accept', headers: invitee.headers, payload: { token: tokenOf(inviteUrl) } });
    expect(again.statusCode).toBe(400);
    expect(again.json().error.code).toBe('invitation_used');
    expect((await t.app.inject({ url: '/api/invitations', headers: owner.headers })).json().items).toHaveLength(0);
  });

  it('refuse another email, an unknown token and a withdrawn invitation', async () => {
    const owner = await newOwner(t.app, t.deps);
    const { inviteUrl, invitation } = (await t.app.inject({ method: 'POST', url: '/api/invitations', headers: owner.headers, payload: { email: 'right@example.com', role: 'member' } })).json();
    const stranger = await newOwner(t.app, t.deps);
    const wrong = await t.app.inject({ method: 'POST', url: '/api/invitations/accept', headers: stranger.headers, payload: { token: tokenOf(inviteUrl) } });
    expect(wrong.json().error.code).toBe('invitation_email_mismatch');
    const unknown = await t.app.inject({ method: 'POST', url: '/api/invitations/accept', headers: stranger.headers, payload: { token: 'x'.repeat(43) } });
    expect(unknown.json().error.code).toBe('invitation_invalid');
    expect((await t.app.inject({ method: 'DELETE', url: `/api/invitations/${invitation.id}`, headers: owner.headers })).statusCode).toBe(204);
    const right = await newOwner(t.app, t.deps, 'right@example.com');
    const withdrawn = await t.app.inject({ method: 'POST', url: '/api/invitations/accept', headers: right.headers, payload: { token: tokenOf(inviteUrl) } });
    expect(withdrawn.json().error.code).toBe('invitation_invalid');
  });

  it('expire after 7 days', async () => {
    const owner = await newOwner(t.app, t.deps);
    const email = `late-${Math.random()}@example.com`;
    const { inviteUrl, invitation } = (await t.app.inject({ method: 'POST', url: '/api/invitations', headers: owner.headers, payload: { email, role: 'member' } })).json();
    await withSystem(database.db, (tx) => tx.updateTable('invitations').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', invitation.id).execute());
    const late = await newOwner(t.app, t.deps, email);
    const res = await t.app.inject({ method: 'POST', url: '/api/invitations/accept', headers: late.headers, payload: { token: tokenOf(inviteUrl) } });
    expect(res.json().error.code).toBe('invitation_expired');
  });

  it('count against the tier member limit', async () => {
    const owner = await newOwner(t.app, t.deps); // free: 2 members
    expect((await t.app.inject({ method: 'POST', url: '/api/invitations', headers: owner.headers, payload: { email: 'one@example.com', role: 'member' } })).statusCode).toBe(201);
    const over = await t.app.inject({ method: 'POST', url: '/api/invitations', headers: owner.headers, payload: { email: 'two@example.com', role: 'member' } });
    expect(over.statusCode).toBe(402);
    expect(over.json().error.details).toMatchObject({ limit: 'members', max: 2 });
  });

  it('of Owners can be made by Owners only', async () => {
    const owner = await newOwner(t.app, t.deps);
    await setTierDirectly(t.deps, owner.tenantId, 'business');
    const admin = await joinAs(t.app, t.deps, owner.tenantId, 'admin');
    const res = await t.app.inject({ method: 'POST', url: '/api/invitations', headers: admin.headers, payload: { email: 'boss@example.com', role: 'owner' } });
    expect(res.statusCode).toBe(403);
  });
});

describe('members', () => {
  it('lose access at once when removed, and their sessions in the tenant end', async () => {
    const owner = await newOwner(t.app, t.deps);
    const member = await joinAs(t.app, t.deps, owner.tenantId, 'member');
    expect((await t.app.inject({ url: '/api/sites', headers: member.headers })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/members/${member.userId}`, headers: owner.headers })).statusCode).toBe(204);
    const after = await t.app.inject({ url: '/api/sites', headers: member.headers });
    expect(after.statusCode).toBe(401);
    const refresh = await t.app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: member.refreshToken } });
    expect(refresh.statusCode).toBe(401);
    const audit = (await t.app.inject({ url: '/api/members', headers: owner.headers })).json();
    expect(audit.items.map((m: { userId: string }) => m.userId)).not.toContain(member.userId);
  });

  it('get a changed role at once; admins cannot touch owners; the last owner stays', async () => {
    const owner = await newOwner(t.app, t.deps);
    await setTierDirectly(t.deps, owner.tenantId, 'business');
    const admin = await joinAs(t.app, t.deps, owner.tenantId, 'admin');
    const member = await joinAs(t.app, t.deps, owner.tenantId, 'member');
    const promoted = await t.app.inject({ method: 'PATCH', url: `/api/members/${member.userId}`, headers: admin.headers, payload: { role: 'admin' } });
    expect(promoted.json()).toMatchObject({ userId: member.userId, role: 'admin' });
    // The changed member's old session ended; they sign in again to act with the new role.
    expect((await t.app.inject({ url: '/api/sites', headers: member.headers })).statusCode).toBe(401);

    expect((await t.app.inject({ method: 'PATCH', url: `/api/members/${owner.userId}`, headers: admin.headers, payload: { role: 'member' } })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/members/${owner.userId}`, headers: admin.headers })).statusCode).toBe(403);
    const last = await t.app.inject({ method: 'PATCH', url: `/api/members/${owner.userId}`, headers: owner.headers, payload: { role: 'admin' } });
    expect(last.statusCode).toBe(409);
    expect(last.json().error.code).toBe('last_owner');
    expect((await t.app.inject({ method: 'DELETE', url: `/api/members/${owner.userId}`, headers: owner.headers })).json().error.code).toBe('last_owner');
  });

  it('unknown or malformed member ids are a 404', async () => {
    const owner = await newOwner(t.app, t.deps);
    for (const id of ['nope', '00000000-0000-0000-0000-000000000000']) {
      const res = await t.app.inject({ method: 'DELETE', url: `/api/members/${id}`, headers: owner.headers });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('member_not_found');
    }
  });
});

describe('the tenant', () => {
  it('shows its tier limits; the Owner changes tier and budget, audited', async () => {
    const owner = await newOwner(t.app, t.deps);
    const before = (await t.app.inject({ url: '/api/tenant', headers: owner.headers })).json();
    expect(before).toMatchObject({ tier: 'free', limits: { sites: 1 }, features: { auditLog: false } });
    expect((await t.app.inject({ url: '/api/audit', headers: owner.headers })).json().error.code).toBe('feature_not_in_tier');
    const up = await t.app.inject({ method: 'PUT', url: '/api/tenant/tier', headers: owner.headers, payload: { tier: 'pro' } });
    expect(up.json()).toMatchObject({ tier: 'pro', limits: { sites: 5 } });
    await t.app.inject({ method: 'PATCH', url: '/api/tenant', headers: owner.headers, payload: { dailyBudgetUsd: 7.5 } });
    expect((await t.app.inject({ url: '/api/tenant', headers: owner.headers })).json().dailyBudgetUsd).toBe(7.5);
    const events = (await t.app.inject({ url: '/api/audit?action=tenant.', headers: owner.headers })).json().items;
    expect(events.map((e: { action: string }) => e.action)).toEqual(['tenant.updated', 'tenant.tier_changed', 'tenant.created']);
    expect(events[1].metadata).toEqual({ changes: { tier: { old: 'free', new: 'pro' } } });
    const bad = await t.app.inject({ method: 'PUT', url: '/api/tenant/tier', headers: owner.headers, payload: { tier: 'platinum' } });
    expect(bad.statusCode).toBe(400);
  });

  it('audit log filters by action, actor and time and pages', async () => {
    const owner = await newOwner(t.app, t.deps);
    await setTierDirectly(t.deps, owner.tenantId, 'pro');
    for (let i = 0; i < 3; i++) await t.app.inject({ method: 'POST', url: '/api/sites', headers: owner.headers, payload: { name: `s${i}` } });
    const all = (await t.app.inject({ url: `/api/audit?actor=${owner.userId}&limit=2`, headers: owner.headers })).json();
    expect(all.items).toHaveLength(2);
    const next = (await t.app.inject({ url: `/api/audit?actor=${owner.userId}&limit=2&cursor=${all.nextCursor}`, headers: owner.headers })).json();
    expect(next.items.length).toBeGreaterThan(0);
    const future = (await t.app.inject({ url: `/api/audit?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, headers: owner.headers })).json();
    expect(future.items).toEqual([]);
    expect((await t.app.inject({ url: '/api/audit?from=yesterday', headers: owner.headers })).statusCode).toBe(400);
  });
});

describe('the account', () => {
  it('exports everything to its Owner and terminates with a 30-day retention, ending every session', async () => {
    const owner = await newOwner(t.app, t.deps);
    const admin = await joinAs(t.app, t.deps, owner.tenantId, 'admin');
    await t.app.inject({ method: 'POST', url: '/api/sites', headers: owner.headers, payload: { name: 'Exported site' } });
    expect((await t.app.inject({ url: '/api/tenant/export', headers: admin.headers })).statusCode).toBe(403);
    const exported = await t.app.inject({ url: '/api/tenant/export', headers: owner.headers });
    expect(exported.statusCode).toBe(200);
    expect(exported.json().sites.map((s: { name: string }) => s.name)).toEqual(['Exported site']);
    expect(exported.body).not.toContain('embed_key');

    const name = (await t.app.inject({ url: '/api/tenant', headers: owner.headers })).json().name;
    expect((await t.app.inject({ method: 'DELETE', url: '/api/tenant', headers: owner.headers, payload: { confirm: 'wrong' } })).statusCode).toBe(400);
    const done = await t.app.inject({ method: 'DELETE', url: '/api/tenant', headers: owner.headers, payload: { confirm: name } });
    expect(done.statusCode).toBe(200);
    const days = (new Date(done.json().purgeAfter).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect((await t.app.inject({ url: '/api/sites', headers: owner.headers })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/api/sites', headers: admin.headers })).statusCode).toBe(401);
  });
});
