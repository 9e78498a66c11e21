import { terminationRetentionDays } from '../../contracts/tenants.ts';
import { tiers, type Tier } from '../tenants/tiers.ts';

/**
 * The retention promises of DESIGN §5, as numbers. Conversation retention is a tier limit
 * (`conversationRetentionDays` in tenants/tiers.ts), shown to the business on its Account page.
 */
export const retentionRules = {
  /** A terminated tenant is purged at `expires_at` (set to termination + this many days). */
  terminatedTenantDays: terminationRetentionDays,
  /** A demo tenant is purged this many hours after it was created (or at its `expires_at`). */
  demoTenantHours: 24,
  /** Audit events older than this many months are deleted (tenant-less sign-in events too). */
  auditEventMonths: 12,
} as const;

/** How much one sweep does before it yields to the next (each batch is one short transaction). */
export const retentionLimits = {
  /** Tenants purged per sweep; the rest wait for the next sweep. */
  tenantsPerSweep: 50,
  /** Rows deleted per transaction (chunks and messages of a purged tenant, audit events). */
  rowsPerBatch: 5_000,
  /** Conversations (with their messages and leads) deleted per transaction. */
  conversationsPerBatch: 1_000,
  /** Tenants per tier whose expired conversations one sweep handles. */
  tenantsPerTierPerSweep: 500,
  /** A sweep stops starting new batches after this long; the next one carries on. */
  sweepBudgetMs: 30 * 60_000,
} as const;

/** The system actor every retention audit event names. */
export const retentionActor = { type: 'system', id: 'retention' } as const;

/** The instant before which a tier's conversations have expired. */
export function conversationCutoff(tier: Tier, now: Date): Date {
  return new Date(now.getTime() - tiers[tier].limits.conversationRetentionDays * 86_400_000);
}

/** The instant before which audit events have expired (calendar months, UTC). */
export function auditEventCutoff(now: Date): Date {
  const cutoff = new Date(now);
  cutoff.setUTCMonth(cutoff.getUTCMonth() - retentionRules.auditEventMonths);
  return cutoff;
}
