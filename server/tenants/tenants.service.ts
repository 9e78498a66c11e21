import { authorize, type Actor } from '../auth/permissions.ts';
import { terminationRetentionDays } from '../../contracts/tenants.ts';
import { afterCommit, withSystem, withTenant } from '../db/tenant.ts';
import { appError } from '../errors.ts';
import type { Deps } from '../deps.ts';
import { forgetWidgetSites } from '../widget/site.system.ts';
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
    afterCommit(tx, () => forgetWidgetSites(deps.database.db, actor.tenantId));
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
    afterCommit(tx, () => forgetWidgetSites(deps.database.db, actor.tenantId));
    await deps.audit.record(tx, { tenantId: actor.tenantId, actor: { type: 'user', id: actor.userId }, action: 'tenant.tier_changed', target: { type: 'tenant', id: actor.tenantId }, requestId, metadata: { changes: { tier: { old: before.tier, new: tier } } } });
  });
  return getTenant(deps, actor);
}

/** Everything the tenant holds, as one JSON document (Owner only; audited). */
export async function exportTenant(deps: TenantsDeps, actor: Actor, requestId: string) {
  authorize(actor, 'tenant.export');
  return withTenant(deps.database.db, actor.tenantId, async (tx) => {
    const cap = 100_000;
    const data = {
      exportedAt: new Date().toISOString(),
      tenant: await tx.selectFrom('tenants').select(['id', 'name', 'tier', 'status', 'daily_budget_usd', 'created_at']).executeTakeFirstOrThrow(),
      members: await tx.selectFrom('memberships as m').innerJoin('users as u', 'u.id', 'm.user_id').select(['u.email', 'u.name', 'm.role', 'm.created_at']).execute(),
      sites: await tx.selectFrom('sites').select(['id', 'name', 'domains', 'settings', 'created_at']).execute(),
      sources: await tx.selectFrom('sources').select(['id', 'site_id', 'kind', 'url', 'file_name', 'status', 'last_sync_at', 'created_at']).limit(cap).execute(),
      documents: await tx.selectFrom('documents').select(['id', 'site_id', 'source_id', 'url', 'title', 'status', 'chunk_count']).limit(cap).execute(),
      conversations: await tx.selectFrom('conversations').select(['id', 'site_id', 'entry_page', 'phase', 'language', 'created_at']).limit(cap).execute(),
      messages: await tx.selectFrom('messages').select(['id', 'conversation_id', 'role', 'text', 'sources', 'confidence', 'created_at']).orderBy('created_at').limit(cap).execute(),
      leads: await tx.selectFrom('leads').select(['id', 'site_id', 'conversation_id', 'email', 'status', 'created_at']).limit(cap).execute(),
      aiUsage: await tx.selectFrom('ai_usage').select(['site_id', 'purpose', 'model', 'input_tokens', 'output_tokens', 'cost_usd', 'created_at']).limit(cap).execute(),
      auditEvents: await tx.selectFrom('audit_events').select(['occurred_at', 'actor_type', 'actor_id', 'action', 'target_type', 'target_id', 'metadata']).orderBy('occurred_at', 'desc').limit(cap).execute(),
    };
    await deps.audit.record(tx, { tenantId: actor.tenantId, actor: { type: 'user', id: actor.userId }, action: 'tenant.exported', target: { type: 'tenant', id: actor.tenantId }, requestId });
    return data;
  });
}

/**
 * Terminates the account (Owner only, confirmed by typing its name): the widget and the dashboard
 * stop at once, every session in it ends, and the data is kept for 30 days before it is purged.
 */
export async function terminateTenant(deps: TenantsDeps, actor: Actor, confirm: string, requestId: string): Promise<{ purgeAfter: string }> {
  authorize(actor, 'tenant.delete');
  const purgeAfter = new Date(Date.now() + terminationRetentionDays * 86_400_000);
  await withTenant(deps.database.db, actor.tenantId, async (tx) => {
    const t = await tx.selectFrom('tenants').select(['name']).executeTakeFirstOrThrow();
    if (confirm.trim() !== t.name) throw appError('validation_failed', 'Type the workspace name exactly to confirm.', { fields: [{ field: 'confirm', problem: 'does not match the workspace name' }] });
    await tx.updateTable('tenants').set({ status: 'terminated', terminated_at: new Date(), expires_at: purgeAfter, updated_at: new Date() }).where('id', '=', actor.tenantId).execute();
    afterCommit(tx, () => forgetWidgetSites(deps.database.db, actor.tenantId));
    await deps.audit.record(tx, { tenantId: actor.tenantId, actor: { type: 'user', id: actor.userId }, action: 'tenant.terminated', target: { type: 'tenant', id: actor.tenantId }, requestId, metadata: { purgeAfter: purgeAfter.toISOString() } });
  });
  await withSystem(deps.database.db, (tx) => tx.updateTable('sessions').set({ revoked_at: new Date(), revoked_reason: 'tenant_terminated' }).where('active_tenant_id', '=', actor.tenantId).where('revoked_at', 'is', null).execute());
  return { purgeAfter: purgeAfter.toISOString() };
}
