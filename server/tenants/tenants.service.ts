import { authorize, type Actor } from '../auth/permissions.ts';
import { withTenant } from '../db/tenant.ts';
import type { Deps } from '../deps.ts';
import { tiers, type Tier } from './tiers.ts';

/** What tenant services need. */
export type TenantsDeps = Pick<Deps, 'database' | 'audit'>;

/** The tenant as its members see it, with its tier's limits and features. */
export async function getTenant(deps: TenantsDeps, actor: Actor) {
  authorize(actor, 'tenant.read');
  const t = await withTenant(deps.database.db, actor.tenantId, (tx) => tx.selectFrom('tenants').selectAll().executeTakeFirstOrThrow());
  const spec = tiers[t.tier];
  return {
    id: t.id,
    name: t.name,
    tier: t.tier,
    status: t.status,
    dailyBudgetUsd: t.daily_budget_usd === null ? spec.limits.dailyBudgetUsd : Number(t.daily_budget_usd),
    limits: spec.limits,
    features: spec.features,
    createdAt: t.created_at.toISOString(),
  };
}

/** Renames the tenant or sets its daily AI budget (Owner only for the budget). */
export async function updateTenant(deps: TenantsDeps, actor: Actor, input: { name?: string | undefined; dailyBudgetUsd?: number | undefined }, requestId: string) {
  authorize(actor, 'tenant.update');
  if (input.dailyBudgetUsd !== undefined) authorize(actor, 'tenant.budget');
  await withTenant(deps.database.db, actor.tenantId, async (tx) => {
    const before = await tx.selectFrom('tenants').select(['name', 'daily_budget_usd']).executeTakeFirstOrThrow();
    const changes: Record<string, { old: unknown; new: unknown }> = {};
    if (input.name !== undefined && input.name !== before.name) changes.name = { old: before.name, new: input.name };
    if (input.dailyBudgetUsd !== undefined) changes.dailyBudgetUsd = { old: before.daily_budget_usd === null ? null : Number(before.daily_budget_usd), new: input.dailyBudgetUsd };
    if (!Object.keys(changes).length) return;
    await tx
      .updateTable('tenants')
      .set({
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.dailyBudgetUsd !== undefined ? { daily_budget_usd: String(input.dailyBudgetUsd) } : {}),
        updated_at: new Date(),
      })
      .where('id', '=', actor.tenantId)
      .execute();
    await deps.audit.record(tx, { tenantId: actor.tenantId, actor: { type: 'user', id: actor.userId }, action: 'tenant.updated', target: { type: 'tenant', id: actor.tenantId }, requestId, metadata: { changes } });
  });
  return getTenant(deps, actor);
}

/** Changes the tier (billing is out of scope: an Owner sets it). */
export async function setTier(deps: TenantsDeps, actor: Actor, tier: Tier, requestId: string) {
  authorize(actor, 'tenant.tier');
  await withTenant(deps.database.db, actor.tenantId, async (tx) => {
    const before = await tx.selectFrom('tenants').select('tier').executeTakeFirstOrThrow();
    if (before.tier === tier) return;
    await tx.updateTable('tenants').set({ tier, updated_at: new Date() }).where('id', '=', actor.tenantId).execute();
    await deps.audit.record(tx, { tenantId: actor.tenantId, actor: { type: 'user', id: actor.userId }, action: 'tenant.tier_changed', target: { type: 'tenant', id: actor.tenantId }, requestId, metadata: { changes: { tier: { old: before.tier, new: tier } } } });
  });
  return getTenant(deps, actor);
}
