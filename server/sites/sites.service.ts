import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { siteSettings, type createSiteBody, type SiteSettings, type SiteView, type updateSiteBody } from '../../contracts/sites.ts';
import { authorize, type Actor } from '../auth/permissions.ts';
import { afterCommit, isUuid, withTenant, type TenantTx } from '../db/tenant.ts';
import type { Deps } from '../deps.ts';
import { appError } from '../errors.ts';
import { decodeCursor, page } from '../http/paging.ts';
import { checkLimit, requireFeature, type Tier } from '../tenants/tiers.ts';
import { forgetWidgetSites } from '../widget/site.system.ts';
import { normalizeDomains } from './domains.ts';
import { countSites, findSite, listSites, type SiteRow } from './sites.repo.ts';

/** What the site services need. */
export type SitesDeps = Pick<Deps, 'config' | 'database' | 'audit'>;

/** A new public embed key: random, unguessable, safe in HTML attributes. */
export function newEmbedKey(): string {
  return `ck_${randomBytes(24).toString('base64url')}`;
}

/** The only way a site leaves the server. */
export function presentSite(row: SiteRow): SiteView {
  return {
    id: row.id,
    name: row.name,
    domains: row.domains,
    embedKey: row.embed_key,
    settings: siteSettings.parse(row.settings),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

async function tenantTier(tx: TenantTx): Promise<Tier> {
  return (await tx.selectFrom('tenants').select('tier').executeTakeFirstOrThrow()).tier;
}

async function siteOr404(tx: TenantTx, siteId: string): Promise<SiteRow> {
  const row = isUuid(siteId) ? await findSite(tx, siteId) : undefined;
  if (!row) throw appError('site_not_found');
  return row;
}

function checkPersona(tier: Tier, settings: Partial<SiteSettings> | undefined): void {
  if (settings?.persona) requireFeature(tier, 'customPersona');
}

/** Lists the tenant's sites, a page at a time. */
export async function listSitesPage(deps: SitesDeps, actor: Actor, q: { limit: number; cursor?: string | undefined }) {
  authorize(actor, 'site.read');
  const after = decodeCursor(q.cursor);
  const rows = await withTenant(deps.database.db, actor.tenantId, (tx) => listSites(tx, { limit: q.limit, ...(after ? { after } : {}) }));
  return page(rows, q.limit, presentSite);
}

/** One site of the tenant; another tenant's site is a 404. */
export async function getSite(deps: SitesDeps, actor: Actor, siteId: string): Promise<SiteView> {
  authorize(actor, 'site.read');
  return presentSite(await withTenant(deps.database.db, actor.tenantId, (tx) => siteOr404(tx, siteId)));
}

/** Creates a site (within the tier's site limit) with a fresh embed key. */
export async function createSite(deps: SitesDeps, actor: Actor, input: z.output<typeof createSiteBody>, requestId: string): Promise<SiteView> {
  authorize(actor, 'site.create');
  const domains = normalizeDomains(input.domains, deps.config.env === 'production');
  const settings = siteSettings.parse(input.settings ?? {});
  return withTenant(deps.database.db, actor.tenantId, async (tx) => {
    const tier = await tenantTier(tx);
    checkLimit(tier, 'sites', await countSites(tx));
    checkPersona(tier, settings);
    const row = await tx
      .insertInto('sites')
      .values({ tenant_id: actor.tenantId, name: input.name, domains, embed_key: newEmbedKey(), settings: JSON.stringify(settings) })
      .returningAll()
      .executeTakeFirstOrThrow();
    await deps.audit.record(tx, {
      tenantId: actor.tenantId,
      actor: { type: 'user', id: actor.userId },
      action: 'site.created',
      target: { type: 'site', id: row.id },
      requestId,
      metadata: { name: row.name, domains },
    });
    return presentSite(row);
  });
}

/** Changes a site's name, domains or settings; the audit event lists each changed field with old and new values. */
export async function updateSite(deps: SitesDeps, actor: Actor, siteId: string, input: z.output<typeof updateSiteBody>, requestId: string): Promise<SiteView> {
  authorize(actor, 'site.update');
  const domains = input.domains ? normalizeDomains(input.domains, deps.config.env === 'production') : undefined;
  return withTenant(deps.database.db, actor.tenantId, async (tx) => {
    const before = await siteOr404(tx, siteId);
    const oldSettings = siteSettings.parse(before.settings);
    const settings = input.settings
      ? siteSettings.parse({ ...oldSettings, ...input.settings, colors: { ...oldSettings.colors, ...input.settings.colors } })
      : oldSettings;
    if (input.settings?.persona) checkPersona(await tenantTier(tx), settings);
    const changes: Record<string, { old: unknown; new: unknown }> = {};
    if (input.name !== undefined && input.name !== before.name) changes.name = { old: before.name, new: input.name };
    if (domains && JSON.stringify(domains) !== JSON.stringify(before.domains)) changes.domains = { old: before.domains, new: domains };
    for (const key of Object.keys(settings) as (keyof SiteSettings)[]) {
      if (JSON.stringify(settings[key]) !== JSON.stringify(oldSettings[key])) changes[`settings.${key}`] = { old: oldSettings[key], new: settings[key] };
    }
    if (Object.keys(changes).length === 0) return presentSite(before);
    const row = await tx
      .updateTable('sites')
      .set({ name: input.name ?? before.name, domains: domains ?? before.domains, settings: JSON.stringify(settings), updated_at: new Date() })
      .where('id', '=', before.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    afterCommit(tx, () => forgetWidgetSites(deps.database.db, actor.tenantId));
    await deps.audit.record(tx, {
      tenantId: actor.tenantId,
      actor: { type: 'user', id: actor.userId },
      action: 'site.updated',
      target: { type: 'site', id: row.id },
      requestId,
      metadata: { changes },
    });
    return presentSite(row);
  });
}

/** Deletes a site (and, through the schema, everything that belongs to it). */
export async function deleteSite(deps: SitesDeps, actor: Actor, siteId: string, requestId: string): Promise<void> {
  authorize(actor, 'site.delete');
  await withTenant(deps.database.db, actor.tenantId, async (tx) => {
    const site = await siteOr404(tx, siteId);
    await tx.deleteFrom('sites').where('id', '=', site.id).execute();
    afterCommit(tx, () => forgetWidgetSites(deps.database.db, actor.tenantId));
    await deps.audit.record(tx, {
      tenantId: actor.tenantId,
      actor: { type: 'user', id: actor.userId },
      action: 'site.deleted',
      target: { type: 'site', id: site.id },
      requestId,
      metadata: { name: site.name },
    });
  });
}

/** Replaces the site's embed key: scripts with the old key stop working at once. */
export async function rotateEmbedKey(deps: SitesDeps, actor: Actor, siteId: string, requestId: string): Promise<SiteView> {
  authorize(actor, 'site.rotate_key');
  return withTenant(deps.database.db, actor.tenantId, async (tx) => {
    const site = await siteOr404(tx, siteId);
    const row = await tx.updateTable('sites').set({ embed_key: newEmbedKey(), updated_at: new Date() }).where('id', '=', site.id).returningAll().executeTakeFirstOrThrow();
    afterCommit(tx, () => forgetWidgetSites(deps.database.db, actor.tenantId));
    // The key is public (it sits in the customer's page), but the audit trail needs no copy of it.
    await deps.audit.record(tx, { tenantId: actor.tenantId, actor: { type: 'user', id: actor.userId }, action: 'site.embed_key_rotated', target: { type: 'site', id: site.id }, requestId });
    return presentSite(row);
  });
}
