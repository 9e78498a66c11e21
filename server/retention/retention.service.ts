import type { Deps } from '../deps.ts';
import { withTenant } from '../db/tenant.ts';
import { tiers, type Tier } from '../tenants/tiers.ts';
import {
  deleteAuditEventsBatch,
  deleteDueTenant,
  deleteDueTenantBatch,
  dueTenants,
  stillDue,
  tenantsWithExpiredConversations,
  type PurgeFigures,
} from './retention.system.ts';
import { auditEventCutoff, conversationCutoff, retentionActor, retentionLimits } from './rules.ts';

/** What retention needs: the database, the stored files, the audit recorder, the log. */
export type RetentionDeps = Pick<Deps, 'database' | 'storage' | 'audit' | 'logger'>;

/** What one sweep did, for the log line and the job's result. */
export interface SweepFigures {
  tenantsPurged: number;
  tenantsFailed: number;
  filesDeleted: number;
  conversationsExpired: number;
  messagesExpired: number;
  leadsExpired: number;
  visitorsExpired: number;
  auditEventsExpired: number;
  /** True when the sweep stopped at its time budget with work left for the next one. */
  unfinished: boolean;
  ms: number;
}

/**
 * Purges one due tenant completely; null when it is not due (any more). Safe to run again after a
 * crash at any step: files go first (a crash leaves rows but never unreferenced files), then the
 * big tables in short batches, then everything else and the audit event in one transaction.
 */
export async function purgeTenant(deps: RetentionDeps, tenantId: string, now: Date): Promise<PurgeFigures | null> {
  const db = deps.database.db;
  if (!(await stillDue(db, tenantId, now))) return null;
  // No transaction is open while the object store works (it may be a network call).
  const files = await deps.storage.deleteTenant(tenantId);
  const carried: PurgeFigures = { files, chunks: 0, messages: 0 };
  for (const table of ['chunks', 'messages'] as const) {
    for (;;) {
      const n = await deleteDueTenantBatch(db, tenantId, table, now, retentionLimits.rowsPerBatch);
      if (n === null) return null;
      carried[table] = (carried[table] ?? 0) + n;
      if (n < retentionLimits.rowsPerBatch) break;
    }
  }
  const figures = await deleteDueTenant(db, deps.audit, tenantId, now, carried);
  if (figures) deps.logger.info({ tenantId, deleted: figures }, 'retention: tenant purged');
  return figures;
}

/** What one tenant's conversation expiry removed. */
interface ExpiredFigures {
  conversations: number;
  messages: number;
  leads: number;
  visitors: number;
}

/**
 * Deletes one batch of the tenant's expired conversations (idle since before `cutoff`, unless their
 * lead was worked on since) with their messages and leads, and the visitors left with no
 * conversation and unseen since `cutoff`; records `conversations.expired` in the same transaction.
 */
async function expireTenantBatch(deps: RetentionDeps, tenantId: string, tier: Tier, cutoff: Date): Promise<ExpiredFigures> {
  const limit = retentionLimits.conversationsPerBatch;
  return withTenant(deps.database.db, tenantId, async (tx) => {
    const ids = (
      await tx
        .selectFrom('conversations as c')
        .select('c.id')
        .where('c.updated_at', '<', cutoff)
        .where((eb) => eb.not(eb.exists(eb.selectFrom('leads as l').select('l.id').whereRef('l.conversation_id', '=', 'c.id').where('l.updated_at', '>=', cutoff))))
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .execute()
    ).map((r) => r.id);
    const figures: ExpiredFigures = { conversations: ids.length, messages: 0, leads: 0, visitors: 0 };
    if (ids.length) {
      const count = (table: 'messages' | 'leads') =>
        tx.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where('conversation_id', 'in', ids).executeTakeFirstOrThrow();
      figures.messages = Number((await count('messages')).n);
      figures.leads = Number((await count('leads')).n);
      // Messages and leads cascade with their conversation.
      await tx.deleteFrom('conversations').where('id', 'in', ids).execute();
    }
    const visitors = await tx
      .deleteFrom('visitors')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('visitors as v')
          .select('v.id')
          .where('v.last_seen_at', '<', cutoff)
          .where((inner) => inner.not(inner.exists(inner.selectFrom('conversations as c').select('c.id').whereRef('c.visitor_id', '=', 'v.id'))))
          .limit(limit),
      )
      .executeTakeFirst();
    figures.visitors = Number(visitors.numDeletedRows);
    if (figures.conversations || figures.visitors) {
      await deps.audit.record(tx, {
        tenantId,
        actor: retentionActor,
        action: 'conversations.expired',
        target: { type: 'tenant', id: tenantId },
        metadata: { before: cutoff.toISOString(), retentionDays: tiers[tier].limits.conversationRetentionDays, deleted: figures },
      });
    }
    return figures;
  });
}

/** Runs every retention rule once: purges due tenants, expires conversations and audit events. */
export async function runRetention(deps: RetentionDeps, now = new Date()): Promise<SweepFigures> {
  const started = Date.now();
  const deadline = started + retentionLimits.sweepBudgetMs;
  const f: SweepFigures = { tenantsPurged: 0, tenantsFailed: 0, filesDeleted: 0, conversationsExpired: 0, messagesExpired: 0, leadsExpired: 0, visitorsExpired: 0, auditEventsExpired: 0, unfinished: false, ms: 0 };
  const db = deps.database.db;
  const outOfTime = () => (Date.now() > deadline ? (f.unfinished = true) : false);

  for (const tenant of await dueTenants(db, now, retentionLimits.tenantsPerSweep)) {
    if (outOfTime()) break;
    try {
      const purged = await purgeTenant(deps, tenant.id, now);
      if (purged) {
        f.tenantsPurged++;
        f.filesDeleted += purged.files ?? 0;
      }
    } catch (err) {
      // One tenant's failure (e.g. the object store is down) must not stop the others.
      f.tenantsFailed++;
      deps.logger.error({ tenantId: tenant.id, err }, 'retention: tenant purge failed; the next sweep retries');
    }
  }

  for (const tier of Object.keys(tiers) as Tier[]) {
    const cutoff = conversationCutoff(tier, now);
    for (const tenantId of await tenantsWithExpiredConversations(db, tier, cutoff, retentionLimits.tenantsPerTierPerSweep)) {
      for (;;) {
        if (outOfTime()) break;
        const e = await expireTenantBatch(deps, tenantId, tier, cutoff);
        f.conversationsExpired += e.conversations;
        f.messagesExpired += e.messages;
        f.leadsExpired += e.leads;
        f.visitorsExpired += e.visitors;
        if (e.conversations < retentionLimits.conversationsPerBatch && e.visitors < retentionLimits.conversationsPerBatch) break;
      }
    }
  }

  const auditCutoff = auditEventCutoff(now);
  while (!outOfTime()) {
    const n = await deleteAuditEventsBatch(db, deps.audit, auditCutoff, retentionLimits.rowsPerBatch);
    f.auditEventsExpired += n;
    if (n < retentionLimits.rowsPerBatch) break;
  }

  f.ms = Date.now() - started;
  deps.logger.info({ retention: f }, 'retention sweep finished');
  if (f.tenantsFailed) throw new Error(`retention: ${f.tenantsFailed} tenant purge(s) failed`);
  return f;
}
