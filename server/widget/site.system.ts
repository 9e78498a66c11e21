import type { Kysely } from 'kysely';
import { siteSettings, type SiteSettings } from '../../contracts/sites.ts';
import type { DB } from '../db/schema.ts';
import { withSystem } from '../db/tenant.ts';
import type { Tier } from '../tenants/tiers.ts';

/** A site as the widget API knows it, resolved from its public embed key. */
export interface WidgetSite {
  id: string;
  tenantId: string;
  name: string;
  domains: string[];
  settings: SiteSettings;
  tier: Tier;
  chunkCount: number;
  dailyBudgetUsd: number | null;
}

/**
 * The one deliberate cross-tenant read of the widget API: the site behind an embed key
 * (never for a terminated tenant). Not cached, so a rotated key stops working at once.
 */
export async function siteByEmbedKey(db: Kysely<DB>, embedKey: string): Promise<WidgetSite | null> {
  if (!/^ck_[A-Za-z0-9_-]{20,60}$/.test(embedKey)) return null;
  const row = await withSystem(db, (tx) =>
    tx
      .selectFrom('sites as s')
      .innerJoin('tenants as t', 't.id', 's.tenant_id')
      .select(['s.id', 's.tenant_id', 's.name', 's.domains', 's.settings', 's.chunk_count', 't.tier', 't.daily_budget_usd'])
      .where('s.embed_key', '=', embedKey)
      .where('t.status', '!=', 'terminated')
      .executeTakeFirst(),
  );
  if (!row) return null;
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    domains: row.domains,
    settings: siteSettings.parse(row.settings),
    tier: row.tier,
    chunkCount: row.chunk_count,
    dailyBudgetUsd: row.daily_budget_usd === null ? null : Number(row.daily_budget_usd),
  };
}
