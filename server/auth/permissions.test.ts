import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.ts';
import type { Role } from '../db/schema.ts';
import { buildTestApp, openTestDatabase } from '../../test/harness.ts';
import { joinAs, newOwner, setTierDirectly, type TestUser } from '../../test/sessions.ts';
import { can, permissions, type Action } from './permissions.ts';

// The role matrix, written out as the product promises it: O = owner, A = admin, M = member.
const matrix: Record<Action, string> = {
  'tenant.read': 'OAM',
  'tenant.update': 'OA',
  'tenant.tier': 'O',
  'tenant.budget': 'O',
  'tenant.delete': 'O',
  'tenant.export': 'O',
  'member.read': 'OAM',
  'member.invite': 'OA',
  'member.update': 'OA',
  'member.remove': 'OA',
  'member.manage_owners': 'O',
  'site.read': 'OAM',
  'site.create': 'OA',
  'site.update': 'OA',
  'site.delete': 'OA',
  'site.rotate_key': 'OA',
  'knowledge.read': 'OAM',
  'knowledge.manage': 'OA',
  'conversation.read': 'OAM',
  'conversation.delete': 'OA',
  'lead.read': 'OAM',
  'lead.update': 'OA',
  'lead.export': 'OA',
  'analytics.read': 'OAM',
  'usage.read': 'OAM',
  'audit.read': 'OA',
};
const roles: [Role, string][] = [
  ['owner', 'O'],
  ['admin', 'A'],
  ['member', 'M'],
];

describe('the permission table', () => {
  it('matches the role matrix for every action and role', () => {
    expect(Object.keys(matrix).sort()).toEqual(Object.keys(permissions).sort());
    for (const action of Object.keys(permissions) as Action[]) {
      for (const [role, letter] of roles) expect(can(role, action), `${role} × ${action}`).toBe(matrix[action].includes(letter));
    }
  });
});

// The same matrix through the HTTP API, for every action that has a route today.
let database: Database;
let t: Awaited<ReturnType<typeof buildTestApp>>;
let owner: TestUser;
const users: Partial<Record<Role, TestUser>> = {};
beforeAll(async () => {
  database = await openTestDatabase();
  t = await buildTestApp(database);
  owner = await newOwner(t.app, t.deps);
  await setTierDirectly(t.deps, owner.tenantId, 'business');
  users.owner = owner;
  users.admin = await joinAs(t.app, t.deps, owner.tenantId, 'admin');
  users.member = await joinAs(t.app, t.deps, owner.tenantId, 'member');
});
afterAll(async () => {
  await t?.close();
  await database?.close();
});

async function newSite(): Promise<string> {
  return (await t.app.inject({ method: 'POST', url: '/api/sites', headers: owner.headers, payload: { name: 'matrix site' } })).json().id;
}
async function newMember(role: Role = 'member'): Promise<string> {
  return (await joinAs(t.app, t.deps, owner.tenantId, role)).userId;
}

const routes: Partial<Record<Action, () => Promise<InjectOptions>>> = {
  'tenant.read': async () => ({ url: '/api/tenant' }),
  'tenant.update': async () => ({ method: 'PATCH', url: '/api/tenant', payload: { name: 'Renamed' } }),
  'tenant.tier': async () => ({ method: 'PUT', url: '/api/tenant/tier', payload: { tier: 'business' } }),
  'tenant.budget': async () => ({ method: 'PATCH', url: '/api/tenant', payload: { dailyBudgetUsd: 5 } }),
  'member.read': async () => ({ url: '/api/members' }),
  'member.invite': async () => ({ method: 'POST', url: '/api/invitations', payload: { email: `i-${Math.random()}@example.com`, role: 'member' } }),
  'member.update': async () => ({ method: 'PATCH', url: `/api/members/${await newMember()}`, payload: { role: 'admin' } }),
  'member.remove': async () => ({ method: 'DELETE', url: `/api/members/${await newMember()}` }),
  'member.manage_owners': async () => ({ method: 'PATCH', url: `/api/members/${await newMember()}`, payload: { role: 'owner' } }),
  'site.read': async () => ({ url: '/api/sites' }),
  'site.create': async () => ({ method: 'POST', url: '/api/sites', payload: { name: 'new' } }),
  'site.update': async () => ({ method: 'PATCH', url: `/api/sites/${await newSite()}`, payload: { name: 'changed' } }),
  'site.delete': async () => ({ method: 'DELETE', url: `/api/sites/${await newSite()}` }),
  'site.rotate_key': async () => ({ method: 'POST', url: `/api/sites/${await newSite()}/rotate-key` }),
  'audit.read': async () => ({ url: '/api/audit' }),
};

describe('the role matrix through the API', () => {
  for (const [action, request] of Object.entries(routes) as [Action, () => Promise<InjectOptions>][]) {
    for (const [role, letter] of roles) {
      const allowed = matrix[action].includes(letter);
      it(`${role} ${allowed ? 'may' : 'may not'} ${action}`, async () => {
        const req = await request();
        const res = await t.app.inject({ ...req, headers: users[role]!.headers });
        if (allowed) expect(res.statusCode, res.body).toBeLessThan(300);
        else {
          expect(res.statusCode, res.body).toBe(403);
          expect(res.json().error.code).toBe('forbidden');
        }
      });
    }
  }
});
