import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { actorOf } from '../auth/authenticate.ts';
import { authorize } from '../auth/permissions.ts';
import { withTenant } from '../db/tenant.ts';
import type { Deps } from '../deps.ts';
import { decodeCursor, page, pageQuery } from '../http/paging.ts';
import { parse } from '../http/validate.ts';
import { requireFeature } from '../tenants/tiers.ts';

const auditQuery = pageQuery.extend({
  action: z.string().max(100).regex(/^[a-z_.]+$/).optional(),
  actor: z.uuid().optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

/** `GET /api/audit`: the tenant's audit events, newest first, filtered by action, actor and time. */
export async function auditRoutes(app: FastifyInstance, deps: Pick<Deps, 'database'>): Promise<void> {
  app.get('/audit', { config: { rateTier: 'admin' } }, async function list(request) {
    const actor = actorOf(request);
    authorize(actor, 'audit.read');
    const q = parse(auditQuery, request.query);
    const after = decodeCursor(q.cursor);
    const rows = await withTenant(deps.database.db, actor.tenantId, async (tx) => {
      const tier = (await tx.selectFrom('tenants').select('tier').executeTakeFirstOrThrow()).tier;
      requireFeature(tier, 'auditLog');
      let sel = tx.selectFrom('audit_events').selectAll().orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(q.limit + 1);
      if (q.action) sel = sel.where('action', q.action.endsWith('.') ? 'like' : '=', q.action.endsWith('.') ? `${q.action}%` : q.action);
      if (q.actor) sel = sel.where('actor_id', '=', q.actor);
      if (q.from) sel = sel.where('occurred_at', '>=', new Date(q.from));
      if (q.to) sel = sel.where('occurred_at', '<', new Date(q.to));
      if (after) sel = sel.where((eb) => eb.or([eb('occurred_at', '<', after.createdAt), eb.and([eb('occurred_at', '=', after.createdAt), eb('id', '<', after.id)])]));
      return sel.execute();
    });
    return page(
      rows.map((r) => ({ ...r, created_at: r.occurred_at })),
      q.limit,
      (r) => ({
        id: String(r.id),
        time: r.occurred_at.toISOString(),
        actor: { type: r.actor_type, id: r.actor_id },
        action: r.action,
        target: r.target_type ? { type: r.target_type, id: r.target_id } : null,
        requestId: r.request_id,
        metadata: r.metadata,
      }),
    );
  });
}
