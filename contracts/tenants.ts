// Tenants as the API shows them: the shape of a tier (the table itself is server/tenants/tiers.ts).

/** A tier's limits (numbers) and features (switches). */
export interface TierSpec {
  limits: {
    sites: number;
    pagesPerSite: number;
    uploadBytes: number;
    documentsPerSite: number;
    members: number;
    dailyBudgetUsd: number;
    conversationRetentionDays: number;
    resyncIntervalHours: number;
  };
  features: {
    customPersona: boolean;
    removeBranding: boolean;
    leadExport: boolean;
    auditLog: boolean;
  };
}

/** Days a terminated workspace's data is kept before it is purged (DESIGN §5: within 30 days). */
export const terminationRetentionDays = 30;

/** A tier's name. */
export type TierName = 'free' | 'pro' | 'business';
