import type { Selectable } from 'kysely';
import type { SitesTable } from '../db/schema.ts';
import type { TenantTx } from '../db/tenant.ts';

/** A site row. */
export type SiteRow = Selectable<SitesTable>;

/** The sites of the transaction's tenant, newest first, after an optional cursor (created_at, id). */
export function listSites(tx: TenantTx, opts: { limit: number; after?: { createdAt: Date; id: string } }) {
  let q = tx.selectFrom('sites').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(opts.limit + 1);
  if (opts.after) {
    const { createdAt, id } = opts.after;
    q = q.where((eb) => eb.or([eb('created_at', '<', createdAt), eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)])]));
  }
  return q.execute();
}

/** One site of the transaction's tenant (RLS hides the others), or undefined. */
export function findSite(tx: TenantTx, siteId: string) {
  return tx.selectFrom('sites').selectAll().where('id', '=', siteId).executeTakeFirst();
}

/** How many sites the tenant has (for the tier limit). */
export async function countSites(tx: TenantTx): Promise<number> {
  const row = await tx.selectFrom('sites').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}
