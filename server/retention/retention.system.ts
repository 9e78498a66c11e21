import { sql, type ExpressionBuilder, type Kysely, type Transaction } from 'kysely';
import type { Audit } from '../audit/audit.ts';
import type { DB } from '../db/schema.ts';
import { withSystem } from '../db/tenant.ts';
import type { Tier } from '../tenants/tiers.ts';
import { retentionActor, retentionRules } from './rules.ts';

// The reviewed cross-tenant part of retention: finding what has expired across tenants, and
// deleting a purged tenant (whose rows RLS would otherwise hide from any one-tenant door).

/** A tenant whose data is due for purging. */
export interface DueTenant {
  id: string;
  status: 'terminated' | 'demo';
  terminatedAt: Date | null;
  expiresAt: Date | null;
}

/** How many rows of each kind a purge removed, and how many stored files. */
export type PurgeFigures = Record<string, number>;

/** Due: terminated and past `expires_at` (or termination + 30 days), or a demo past its 24 hours. */
function isDue(eb: ExpressionBuilder<DB, 'tenants'>, now: Date) {
  const days = retentionRules.terminatedTenantDays;
  const hours = retentionRules.demoTenantHours;
  return eb.or([
    eb.and([eb('status', '=', 'terminated'), eb(eb.fn.coalesce('expires_at', sql<Date>`terminated_at + make_interval(days => ${days})`), '<=', now)]),
    eb.and([eb('status', '=', 'demo'), eb(eb.fn.coalesce('expires_at', sql<Date>`created_at + make_interval(hours => ${hours})`), '<=', now)]),
  ]);
}

/**
 * Locks the tenant row if the tenant is still due, else returns undefined. Every purge step starts
 * here: two workers purging one tenant take turns, and a tenant that stopped being due is left alone.
 */
async function lockIfDue(tx: Transaction<DB>, tenantId: string, now: Date, mode: 'batch' | 'delete'): Promise<DueTenant | undefined> {
  const query = tx.selectFrom('tenants').select(['id', 'status', 'terminated_at', 'expires_at']).where('id', '=', tenantId).where((eb) => isDue(eb, now));
  // A batch does not block inserts that reference the tenant (they take a key-share lock).
  const row = await (mode === 'batch' ? query.forNoKeyUpdate() : query.forUpdate()).executeTakeFirst();
  if (!row || row.status === 'active') return undefined;
  return { id: row.id, status: row.status, terminatedAt: row.terminated_at, expiresAt: row.expires_at };
}

/** The tenants due for purging, longest overdue first. */
export async function dueTenants(db: Kysely<DB>, now: Date, limit: number): Promise<DueTenant[]> {
  const rows = await withSystem(db, (tx) =>
    tx
      .selectFrom('tenants')
      .select(['id', 'status', 'terminated_at', 'expires_at'])
      .where((eb) => isDue(eb, now))
      .orderBy(sql`coalesce(expires_at, terminated_at, created_at)`)
      .limit(limit)
      .execute(),
  );
  return rows.flatMap((r) => (r.status === 'active' ? [] : [{ id: r.id, status: r.status, terminatedAt: r.terminated_at, expiresAt: r.expires_at }]));
}

/** True while the tenant is due (a purge checks before it touches stored files). */
export async function stillDue(db: Kysely<DB>, tenantId: string, now: Date): Promise<boolean> {
  return withSystem(db, async (tx) => (await lockIfDue(tx, tenantId, now, 'batch')) !== undefined);
}

/**
 * Deletes up to `limit` of a due tenant's rows of one big table in a short transaction, so the
 * final delete stays small. Returns the number deleted, or null when the tenant is not due (any more).
 */
export async function deleteDueTenantBatch(db: Kysely<DB>, tenantId: string, table: 'chunks' | 'messages', now: Date, limit: number): Promise<number | null> {
  return withSystem(db, async (tx) => {
    if (!(await lockIfDue(tx, tenantId, now, 'batch'))) return null;
    const res = await sql`delete from ${sql.table(table)} where id in (select id from ${sql.table(table)} where tenant_id = ${tenantId} limit ${limit})`.execute(tx);
    return Number(res.numAffectedRows ?? 0);
  });
}

// Every table the tenant's rows live in (besides `tenants`); the purge counts them for its record.
const tenantTables = ['sites', 'sources', 'documents', 'chunks', 'visitors', 'conversations', 'messages', 'leads', 'ai_usage', 'audit_events', 'invitations', 'memberships'] as const;

/**
 * The last step of a purge, in one transaction: counts what is left, deletes the tenant row (every
 * tenant table cascades from it), deletes the users who belonged to no other tenant (their
 * identities and sessions cascade), and records `tenant.purged`. Null when the tenant is not due.
 */
export async function deleteDueTenant(db: Kysely<DB>, audit: Audit, tenantId: string, now: Date, carried: PurgeFigures): Promise<PurgeFigures | null> {
  return withSystem(db, async (tx) => {
    const tenant = await lockIfDue(tx, tenantId, now, 'delete');
    if (!tenant) return null;
    const counts = sql.join(tenantTables.map((t) => sql`(select count(*) from ${sql.table(t)} where tenant_id = ${tenantId}) as ${sql.ref(t)}`));
    const left = (await sql<Record<(typeof tenantTables)[number], number>>`select ${counts}`.execute(tx)).rows[0]!;
    const members = (await tx.selectFrom('memberships').select('user_id').where('tenant_id', '=', tenantId).execute()).map((m) => m.user_id);
    await tx.deleteFrom('tenants').where('id', '=', tenantId).execute();
    const users = members.length
      ? await tx
          .deleteFrom('users')
          .where('id', 'in', members)
          .where((eb) => eb.not(eb.exists(eb.selectFrom('memberships').select('user_id').whereRef('memberships.user_id', '=', 'users.id'))))
          .returning('id')
          .execute()
      : [];
    const figures: PurgeFigures = { ...Object.fromEntries(tenantTables.map((t) => [t, Number(left[t])])), users: users.length };
    for (const [k, v] of Object.entries(carried)) figures[k] = (figures[k] ?? 0) + v;
    await audit.record(tx, {
      // The tenant row is gone, so the event belongs to no tenant; the target names it.
      tenantId: null,
      actor: retentionActor,
      action: 'tenant.purged',
      target: { type: 'tenant', id: tenantId },
      metadata: { reason: tenant.status, terminatedAt: tenant.terminatedAt?.toISOString() ?? null, expiresAt: tenant.expiresAt?.toISOString() ?? null, deleted: figures },
    });
    return figures;
  });
}

/** Tenants of `tier` holding conversations idle since before `cutoff`, or visitors unseen since then. */
export async function tenantsWithExpiredConversations(db: Kysely<DB>, tier: Tier, cutoff: Date, limit: number): Promise<string[]> {
  const rows = await withSystem(db, (tx) =>
    tx
      .selectFrom('tenants as t')
      .select('t.id')
      .where('t.tier', '=', tier)
      .where((eb) =>
        eb.or([
          eb.exists(eb.selectFrom('conversations as c').select('c.id').whereRef('c.tenant_id', '=', 't.id').where('c.updated_at', '<', cutoff)),
          eb.exists(
            eb
              .selectFrom('visitors as v')
              .select('v.id')
              .whereRef('v.tenant_id', '=', 't.id')
              .where('v.last_seen_at', '<', cutoff)
              .where((inner) => inner.not(inner.exists(inner.selectFrom('conversations as vc').select('vc.id').whereRef('vc.visitor_id', '=', 'v.id')))),
          ),
        ]),
      )
      .orderBy('t.id')
      .limit(limit)
      .execute(),
  );
  return rows.map((r) => r.id);
}

// Any constant works; it only has to be the same in every Cloop process.
const auditExpiryLockKey = 7_246_007;

/**
 * Deletes up to `limit` audit events older than `cutoff`, across tenants, and records how many in the
 * same transaction. Returns 0 when another sweep is deleting them right now (it finishes the work);
 * audit events are append-only for the application, so row locks (`FOR UPDATE`) are not available.
 */
export async function deleteAuditEventsBatch(db: Kysely<DB>, audit: Audit, cutoff: Date, limit: number): Promise<number> {
  return withSystem(db, async (tx) => {
    const lock = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(${auditExpiryLockKey}) as ok`.execute(tx);
    if (!lock.rows[0]?.ok) return 0;
    const res = await sql`delete from audit_events where id in (
      select id from audit_events where occurred_at < ${cutoff} order by occurred_at limit ${limit})`.execute(tx);
    const deleted = Number(res.numAffectedRows ?? 0);
    if (deleted > 0) {
      await audit.record(tx, { tenantId: null, actor: retentionActor, action: 'audit_events.expired', metadata: { before: cutoff.toISOString(), deleted } });
    }
    return deleted;
  });
}
