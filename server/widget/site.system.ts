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
 * How long a resolved site is reused. Changes made through this process (key rotation, domains,
 * settings, deletion, the tenant's budget, tier or termination) take effect at once
 * (`forgetWidgetSites`); a change made by another process reaches this one within this bound.
 */
export const widgetSiteCacheMs = 5_000;
/** Most embed keys remembered at once (the oldest goes first): sites with visitors in the last few seconds, a few KB each. */
const widgetSiteCacheMax = 2_000;

/** Sites by embed key, per database; `generation` moves on every forget, so a lookup that raced one is not kept. */
interface SiteCache {
  entries: Map<string, { site: WidgetSite; until: number }>;
  generation: number;
}
const caches = new WeakMap<Kysely<DB>, SiteCache>();

function cacheOf(db: Kysely<DB>): SiteCache {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = { entries: new Map(), generation: 0 }));
  return cache;
}

/**
 * The one deliberate cross-tenant read of the widget API: the site behind an embed key (never for
 * a terminated tenant). Every widget request needs it, so a found site is kept for
 * `widgetSiteCacheMs`; unknown keys are not remembered. The returned object is shared: read-only.
 */
export async function siteByEmbedKey(db: Kysely<DB>, embedKey: string): Promise<WidgetSite | null> {
  if (!/^ck_[A-Za-z0-9_-]{20,60}$/.test(embedKey)) return null;
  const cache = cacheOf(db);
  const now = performance.now();
  const hit = cache.entries.get(embedKey);
  if (hit && hit.until > now) return hit.site;
  const generation = cache.generation;
  const site = await loadSite(db, embedKey);
  cache.entries.delete(embedKey);
  if (site && generation === cache.generation) {
    if (cache.entries.size >= widgetSiteCacheMax) cache.entries.delete(cache.entries.keys().next().value!);
    cache.entries.set(embedKey, { site, until: now + widgetSiteCacheMs });
  }
  return site;
}

/**
 * Drops the tenant's sites from this process's cache: call it once a change to a site or to its
 * tenant has committed (`afterCommit`), so the widget API sees the change at once.
 */
export function forgetWidgetSites(db: Kysely<DB>, tenantId: string): void {
  const cache = caches.get(db);
  if (!cache) return;
  cache.generation++;
  for (const [key, { site }] of cache.entries) if (site.tenantId === tenantId) cache.entries.delete(key);
}

async function loadSite(db: Kysely<DB>, embedKey: string): Promise<WidgetSite | null> {
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
  const settings = siteSettings.parse(row.settings);
  for (const value of Object.values(settings)) if (typeof value === 'object' && value !== null) Object.freeze(value);
  return Object.freeze({
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    domains: Object.freeze(row.domains) as string[],
    settings: Object.freeze(settings),
    tier: row.tier,
    chunkCount: row.chunk_count,
    dailyBudgetUsd: row.daily_budget_usd === null ? null : Number(row.daily_budget_usd),
  });
}
