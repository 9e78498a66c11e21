import { sql } from 'kysely';
import { authorize, type Actor } from '../auth/permissions.ts';
import { isUuid, withTenant } from '../db/tenant.ts';
import { appError } from '../errors.ts';
import { decodeCursor, page } from '../http/paging.ts';
import { requireFeature } from '../tenants/tiers.ts';
import { siteOr404, type InboxDeps } from './conversations.service.ts';

/** The site's leads, newest first, optionally by status. */
export async function listLeads(deps: InboxDeps, actor: Actor, siteId: string, f: { limit: number; cursor?: string | undefined; status?: 'new' | 'contacted' | 'closed' | undefined }) {
  authorize(actor, 'lead.read');
  const after = decodeCursor(f.cursor);
  const rows = await withTenant(deps.database.db, actor.tenantId, async (tx) => {
    await siteOr404(tx, siteId);
    let q = tx
      .selectFrom('leads as l')
      .innerJoin('conversations as c', 'c.id', 'l.conversation_id')
      .select(['l.id', 'l.email', 'l.status', 'l.conversation_id', 'l.created_at', 'l.updated_at', 'c.entry_page', 'c.phase'])
      .where('l.site_id', '=', siteId)
      .orderBy('l.created_at', 'desc')
      .orderBy('l.id', 'desc')
      .limit(f.limit + 1);
    if (f.status) q = q.where('l.status', '=', f.status);
    if (after) q = q.where((eb) => eb.or([eb('l.created_at', '<', after.createdAt), eb.and([eb('l.created_at', '=', after.createdAt), eb('l.id', '<', after.id)])]));
    return q.execute();
  });
  return page(rows, f.limit, (r) => ({
    id: r.id,
    email: r.email,
    status: r.status,
    conversationId: r.conversation_id,
    entryPage: r.entry_page,
    phase: r.phase,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  }));
}

/** Moves a lead along `new → contacted → closed` (any order: the business decides). */
export async function updateLead(deps: InboxDeps, actor: Actor, siteId: string, leadId: string, status: 'new' | 'contacted' | 'closed', requestId: string) {
  authorize(actor, 'lead.update');
  return withTenant(deps.database.db, actor.tenantId, async (tx) => {
    await siteOr404(tx, siteId);
    const before = isUuid(leadId) ? await tx.selectFrom('leads').select(['id', 'status']).where('id', '=', leadId).where('site_id', '=', siteId).executeTakeFirst() : undefined;
    if (!before) throw appError('lead_not_found');
    const row = await tx.updateTable('leads').set({ status, updated_at: new Date() }).where('id', '=', before.id).returning(['id', 'email', 'status']).executeTakeFirstOrThrow();
    await deps.audit.record(tx, { tenantId: actor.tenantId, actor: { type: 'user', id: actor.userId }, action: 'lead.updated', target: { type: 'lead', id: row.id }, requestId, metadata: { changes: { status: { old: before.status, new: status } } } });
    return row;
  });
}

/** One CSV cell: quoted, and a leading `= + - @` (or tab/CR) neutralized so spreadsheets never run it as a formula. */
export function csvCell(value: string | null): string {
  let v = value ?? '';
  if (/^[=+\-@\t\r]/.test(v)) v = `'${v}`;
  return `"${v.replace(/"/g, '""')}"`;
}

/** Every lead of the site as CSV (tier-gated: lead export). */
export async function exportLeadsCsv(deps: InboxDeps, actor: Actor, siteId: string, requestId: string): Promise<string> {
  authorize(actor, 'lead.export');
  return withTenant(deps.database.db, actor.tenantId, async (tx) => {
    await siteOr404(tx, siteId);
    requireFeature((await tx.selectFrom('tenants').select('tier').executeTakeFirstOrThrow()).tier, 'leadExport');
    const rows = await tx
      .selectFrom('leads as l')
      .innerJoin('conversations as c', 'c.id', 'l.conversation_id')
      .select(['l.email', 'l.status', 'l.created_at', 'c.entry_page', 'c.id as conversation_id', sql<string>`c.phase`.as('phase')])
      .where('l.site_id', '=', siteId)
      .orderBy('l.created_at', 'desc')
      .limit(100_000)
      .execute();
    await deps.audit.record(tx, { tenantId: actor.tenantId, actor: { type: 'user', id: actor.userId }, action: 'lead.exported', target: { type: 'site', id: siteId }, requestId, metadata: { rows: rows.length } });
    const lines = [['email', 'status', 'created_at', 'entry_page', 'phase', 'conversation_id'].map(csvCell).join(',')];
    for (const r of rows) lines.push([r.email, r.status, r.created_at.toISOString(), r.entry_page, r.phase, r.conversation_id].map(csvCell).join(','));
    return `${lines.join('\r\n')}\r\n`;
  });
}
