import { sql } from 'kysely';
import { authorize, type Actor } from '../auth/permissions.ts';
import { withTenant } from '../db/tenant.ts';
import { tiers } from '../tenants/tiers.ts';
import type { InboxDeps } from './conversations.service.ts';

/** AI cost per day against the daily cap, tokens by purpose and per site; whether today's cap was hit. */
export async function usage(deps: InboxDeps, actor: Actor, days: number) {
  authorize(actor, 'usage.read');
  const since = new Date(Date.now() - days * 86_400_000);
  return withTenant(deps.database.db, actor.tenantId, async (tx) => {
    const tenant = await tx.selectFrom('tenants').select(['tier', 'daily_budget_usd']).executeTakeFirstOrThrow();
    const capUsd = tenant.daily_budget_usd === null ? tiers[tenant.tier].limits.dailyBudgetUsd : Number(tenant.daily_budget_usd);
    const perDay = await tx
      .selectFrom('ai_usage')
      .select([sql<string>`to_char(date_trunc('day', created_at), 'YYYY-MM-DD')`.as('day'), sql<number>`sum(cost_usd)::float8`.as('costUsd'), sql<number>`sum(input_tokens + output_tokens)::int`.as('tokens')])
      .where('created_at', '>=', since)
      .groupBy(sql`1`)
      .orderBy(sql`1`)
      .execute();
    const byPurpose = await tx
      .selectFrom('ai_usage')
      .select(['purpose', sql<number>`sum(input_tokens)::int`.as('inputTokens'), sql<number>`sum(output_tokens)::int`.as('outputTokens'), sql<number>`sum(cost_usd)::float8`.as('costUsd')])
      .where('created_at', '>=', since)
      .groupBy('purpose')
      .execute();
    const bySite = await tx
      .selectFrom('ai_usage as u')
      .leftJoin('sites as s', 's.id', 'u.site_id')
      .select(['u.site_id', 's.name', sql<number>`sum(u.cost_usd)::float8`.as('costUsd'), sql<number>`sum(u.input_tokens + u.output_tokens)::int`.as('tokens')])
      .where('u.created_at', '>=', since)
      .groupBy(['u.site_id', 's.name'])
      .execute();
    const today = new Date().toISOString().slice(0, 10);
    const todayCost = perDay.find((d) => d.day === today)?.costUsd ?? 0;
    const exceeded = await tx
      .selectFrom('audit_events')
      .select('id')
      .where('action', '=', 'budget.exceeded')
      .where('occurred_at', '>=', new Date(`${today}T00:00:00Z`))
      .limit(1)
      .executeTakeFirst();
    return { days, capUsd, todayCostUsd: todayCost, capHitToday: Boolean(exceeded) || todayCost >= capUsd, perDay, byPurpose, bySite: bySite.map((s) => ({ siteId: s.site_id, name: s.name, costUsd: s.costUsd, tokens: s.tokens })) };
  });
}
