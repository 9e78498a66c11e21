import type { TierSpec } from '../../contracts/tenants.ts';
import { appError } from '../errors.ts';

export type { TierSpec } from '../../contracts/tenants.ts';

/** The one tier table. Billing is out of scope: the tier is a setting an Owner changes. */
export const tiers = {
  free: {
    limits: { sites: 1, pagesPerSite: 50, uploadBytes: 5 * 1024 * 1024, documentsPerSite: 10, members: 2, dailyBudgetUsd: 1, conversationRetentionDays: 30, resyncIntervalHours: 168 },
    features: { customPersona: false, removeBranding: false, leadExport: false, auditLog: false },
  },
  pro: {
    limits: { sites: 5, pagesPerSite: 1_000, uploadBytes: 25 * 1024 * 1024, documentsPerSite: 200, members: 10, dailyBudgetUsd: 20, conversationRetentionDays: 180, resyncIntervalHours: 24 },
    features: { customPersona: true, removeBranding: false, leadExport: true, auditLog: true },
  },
  business: {
    limits: { sites: 50, pagesPerSite: 10_000, uploadBytes: 100 * 1024 * 1024, documentsPerSite: 5_000, members: 100, dailyBudgetUsd: 200, conversationRetentionDays: 365, resyncIntervalHours: 6 },
    features: { customPersona: true, removeBranding: true, leadExport: true, auditLog: true },
  },
} as const satisfies Record<string, TierSpec>;

/** A tier name. */
export type Tier = keyof typeof tiers;
export type TierLimit = keyof TierSpec['limits'];
export type TierFeature = keyof TierSpec['features'];

/** Throws `tier_limit` (402) when `used + adding` would pass the tier's limit; names the limit. */
export function checkLimit(tier: Tier, limit: TierLimit, used: number, adding = 1): void {
  const max = tiers[tier].limits[limit];
  if (used + adding > max) {
    throw appError('tier_limit', `Your plan (${tier}) allows ${max} for ${limit}.`, { limit, max, used, tier });
  }
}

/** Throws `feature_not_in_tier` (403) when the tier lacks the feature; names it. */
export function requireFeature(tier: Tier, feature: TierFeature): void {
  if (!tiers[tier].features[feature]) {
    throw appError('feature_not_in_tier', `Your plan (${tier}) does not include ${feature}.`, { feature, tier });
  }
}
