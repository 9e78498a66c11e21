import { sql, type Kysely, type Transaction } from 'kysely';
import type { Audit } from '../audit/audit.ts';
import type { DB, Role } from '../db/schema.ts';
import { withSystem } from '../db/tenant.ts';
import type { ProviderIdentity } from './providers/provider.ts';

// Cross-tenant by nature: a person signs in before any tenant is chosen. Reviewed module.

/** A signed-in user and the tenant their session starts in. */
export interface ResolvedUser {
  userId: string;
  tenantId: string;
  created: boolean;
}

function workspaceName(name: string | null, email: string | null): string {
  const who = name?.trim() || email?.split('@')[0] || 'My';
  return `${who.slice(0, 80)}'s workspace`;
}

async function createUserWithTenant(
  tx: Transaction<DB>,
  audit: Audit,
  user: { email: string | null; emailVerified: boolean; name: string | null },
  requestId?: string,
): Promise<ResolvedUser> {
  const { id: userId } = await tx
    .insertInto('users')
    .values({ email: user.email, email_verified: user.emailVerified, name: user.name, last_sign_in_at: new Date() })
    .returning('id')
    .executeTakeFirstOrThrow();
  const { id: tenantId } = await tx.insertInto('tenants').values({ name: workspaceName(user.name, user.email) }).returning('id').executeTakeFirstOrThrow();
  await tx.insertInto('memberships').values({ tenant_id: tenantId, user_id: userId, role: 'owner' }).execute();
  await audit.record(tx, { tenantId, actor: { type: 'user', id: userId }, action: 'tenant.created', target: { type: 'tenant', id: tenantId }, ...(requestId ? { requestId } : {}) });
  return { userId, tenantId, created: true };
}

/** Every membership was removed (or its tenant terminated): the user gets a fresh workspace of their own. */
async function ownWorkspace(tx: Transaction<DB>, userId: string, name: string | null, email: string | null): Promise<string> {
  const { id } = await tx.insertInto('tenants').values({ name: workspaceName(name, email) }).returning('id').executeTakeFirstOrThrow();
  await tx.insertInto('memberships').values({ tenant_id: id, user_id: userId, role: 'owner' }).execute();
  return id;
}

/** The tenant a user lands in: their oldest membership (Owner first). */
async function defaultTenant(tx: Transaction<DB>, userId: string): Promise<string | null> {
  const row = await tx
    .selectFrom('memberships as m')
    .innerJoin('tenants as t', 't.id', 'm.tenant_id')
    .select('m.tenant_id')
    .where('m.user_id', '=', userId)
    .where('t.status', '!=', 'terminated')
    .orderBy(sql`m.role = 'owner'`, 'desc')
    .orderBy('m.created_at')
    .limit(1)
    .executeTakeFirst();
  return row?.tenant_id ?? null;
}

/**
 * Finds the user behind a provider identity, or creates them with their own tenant (Owner).
 * A verified email links a new identity to the user with that verified email; an unverified one never does.
 */
export async function resolveIdentity(db: Kysely<DB>, audit: Audit, identity: ProviderIdentity, requestId?: string): Promise<ResolvedUser> {
  return withSystem(db, async (tx) => {
    const known = await tx
      .selectFrom('identities')
      .select('user_id')
      .where('provider', '=', identity.provider)
      .where('subject', '=', identity.subject)
      .executeTakeFirst();
    let userId = known?.user_id;
    if (userId) {
      await tx.updateTable('identities').set({ email: identity.email, email_verified: identity.emailVerified }).where('provider', '=', identity.provider).where('subject', '=', identity.subject).execute();
    } else if (identity.email && identity.emailVerified) {
      const byEmail = await tx
        .selectFrom('users')
        .select('id')
        .where(sql<string>`lower(email)`, '=', identity.email.toLowerCase())
        .where('email_verified', '=', true)
        .executeTakeFirst();
      userId = byEmail?.id;
    }
    let created = false;
    let tenantId: string | null = null;
    if (!userId) {
      const made = await createUserWithTenant(tx, audit, identity, requestId);
      ({ userId, tenantId, created } = made);
    }
    if (!known) {
      await tx
        .insertInto('identities')
        .values({ user_id: userId, provider: identity.provider, subject: identity.subject, email: identity.email, email_verified: identity.emailVerified })
        .execute();
    }
    await tx.updateTable('users').set({ last_sign_in_at: new Date() }).where('id', '=', userId).execute();
    tenantId ??= await defaultTenant(tx, userId);
    tenantId ??= await ownWorkspace(tx, userId, identity.name, identity.email);
    return { userId, tenantId, created };
  });
}

/** Finds the user with this (operator-vouched) email or creates them and their tenant — for sign-in links. */
export async function resolveEmail(db: Kysely<DB>, audit: Audit, email: string): Promise<ResolvedUser> {
  return withSystem(db, async (tx) => {
    const user = await tx
      .selectFrom('users')
      .select('id')
      .where(sql<string>`lower(email)`, '=', email.toLowerCase())
      .where('email_verified', '=', true)
      .executeTakeFirst();
    if (!user) return createUserWithTenant(tx, audit, { email, emailVerified: true, name: null });
    const tenantId = (await defaultTenant(tx, user.id)) ?? (await ownWorkspace(tx, user.id, null, email));
    return { userId: user.id, tenantId, created: false };
  });
}

/** A membership as the user sees it in `/api/me`. */
export interface MembershipView {
  tenantId: string;
  tenantName: string;
  role: Role;
  tier: string;
}

/** Every tenant the user belongs to (they may switch between them). */
export async function listMemberships(db: Kysely<DB>, userId: string): Promise<MembershipView[]> {
  const rows = await withSystem(db, (tx) =>
    tx
      .selectFrom('memberships as m')
      .innerJoin('tenants as t', 't.id', 'm.tenant_id')
      .select(['m.tenant_id', 't.name', 'm.role', 't.tier'])
      .where('m.user_id', '=', userId)
      .where('t.status', '!=', 'terminated')
      .orderBy('m.created_at')
      .execute(),
  );
  return rows.map((r) => ({ tenantId: r.tenant_id, tenantName: r.name, role: r.role, tier: r.tier }));
}

/** The user's role in a tenant, or null when they are not a member. */
export async function membershipRole(db: Kysely<DB>, userId: string, tenantId: string): Promise<Role | null> {
  const row = await withSystem(db, (tx) =>
    tx
      .selectFrom('memberships as m')
      .innerJoin('tenants as t', 't.id', 'm.tenant_id')
      .select('m.role')
      .where('m.user_id', '=', userId)
      .where('m.tenant_id', '=', tenantId)
      .where('t.status', '!=', 'terminated')
      .executeTakeFirst(),
  );
  return row?.role ?? null;
}
