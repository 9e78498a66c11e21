import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { signinLinkFor, type AuthDeps } from '../server/auth/auth.service.ts';
import type { Role } from '../server/db/schema.ts';
import { withSystem } from '../server/db/tenant.ts';
import { forgetWidgetSites } from '../server/widget/site.system.ts';

/** A signed-in user for tests: their tenant and a ready Authorization header. */
export interface TestUser {
  userId: string;
  tenantId: string;
  email: string;
  accessToken: string;
  refreshToken: string;
  headers: { authorization: string };
}

/** Signs in through the real sign-in-link route as a new user with their own tenant (Owner). */
export async function newOwner(app: FastifyInstance, deps: AuthDeps, email = `owner-${randomUUID()}@example.com`): Promise<TestUser> {
  const link = await signinLinkFor(deps, email);
  const token = link.split('#signin=')[1]!;
  const res = await app.inject({ method: 'POST', url: '/api/auth/signin-link', payload: { token } });
  if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`);
  const body = res.json() as { accessToken: string; refreshToken: string; tenantId: string };
  const me = (await app.inject({ url: '/api/me', headers: { authorization: `Bearer ${body.accessToken}` } })).json() as { user: { id: string } };
  return { userId: me.user.id, tenantId: body.tenantId, email, accessToken: body.accessToken, refreshToken: body.refreshToken, headers: { authorization: `Bearer ${body.accessToken}` } };
}

/** Adds an existing user to a tenant with a role (as an accepted invitation would), and signs them in there. */
export async function joinAs(app: FastifyInstance, deps: AuthDeps, tenantId: string, role: Role): Promise<TestUser> {
  const user = await newOwner(app, deps);
  await withSystem(deps.database.db, (tx) => tx.insertInto('memberships').values({ tenant_id: tenantId, user_id: user.userId, role }).execute());
  const res = await app.inject({ method: 'POST', url: '/api/auth/switch-tenant', headers: user.headers, payload: { tenantId } });
  if (res.statusCode !== 200) throw new Error(`switch failed: ${res.statusCode} ${res.body}`);
  const accessToken = (res.json() as { accessToken: string }).accessToken;
  return { ...user, tenantId, accessToken, headers: { authorization: `Bearer ${accessToken}` } };
}

/** Sets a tenant's tier directly (tests of tier-gated features). */
export async function setTierDirectly(deps: AuthDeps, tenantId: string, tier: 'free' | 'pro' | 'business'): Promise<void> {
  await withSystem(deps.database.db, (tx) => tx.updateTable('tenants').set({ tier }).where('id', '=', tenantId).execute());
  forgetWidgetSites(deps.database.db, tenantId); // as the tier route does: the widget API sees the tier at once
}
