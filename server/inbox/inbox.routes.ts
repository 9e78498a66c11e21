import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { actorOf } from '../auth/authenticate.ts';
import { pageQuery } from '../http/paging.ts';
import { parse } from '../http/validate.ts';
import { deleteConversation, getConversation, insights, listConversations, type InboxDeps } from './conversations.service.ts';
import { exportLeadsCsv, listLeads, updateLead } from './leads.service.ts';
import { usage } from './usage.service.ts';

const siteParams = z.object({ siteId: z.string().max(100) });
const conversationParams = siteParams.extend({ conversationId: z.string().max(100) });
const leadParams = siteParams.extend({ leadId: z.string().max(100) });
const leadStatus = z.enum(['new', 'contacted', 'closed']);
const conversationQuery = pageQuery.extend({
  phase: z.enum(['exploring', 'learning', 'requesting_contact']).optional(),
  lead: z.enum(['none', 'new', 'contacted', 'closed']).optional(),
  maxConfidence: z.coerce.number().min(0).max(1).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  q: z.string().trim().min(1).max(200).optional(),
});
const daysQuery = z.object({ days: z.coerce.number().int().min(1).max(365).default(30) });

/** The inbox: conversations, leads, insights and AI usage. */
export async function inboxRoutes(app: FastifyInstance, deps: InboxDeps): Promise<void> {
  const admin = { rateTier: 'admin' as const };
  app.get('/sites/:siteId/conversations', { config: admin }, async function list(request) {
    return listConversations(deps, actorOf(request), parse(siteParams, request.params).siteId, parse(conversationQuery, request.query));
  });
  app.get('/sites/:siteId/conversations/:conversationId', { config: admin }, async function get(request) {
    const p = parse(conversationParams, request.params);
    return getConversation(deps, actorOf(request), p.siteId, p.conversationId);
  });
  app.delete('/sites/:siteId/conversations/:conversationId', { config: admin }, async function remove(request, reply) {
    const p = parse(conversationParams, request.params);
    await deleteConversation(deps, actorOf(request), p.siteId, p.conversationId, request.id);
    return reply.code(204).send();
  });
  app.get('/sites/:siteId/leads', { config: admin }, async function leads(request) {
    const q = parse(pageQuery.extend({ status: leadStatus.optional() }), request.query);
    return listLeads(deps, actorOf(request), parse(siteParams, request.params).siteId, q);
  });
  app.patch('/sites/:siteId/leads/:leadId', { config: admin }, async function patchLead(request) {
    const p = parse(leadParams, request.params);
    return updateLead(deps, actorOf(request), p.siteId, p.leadId, parse(z.object({ status: leadStatus }).strict(), request.body).status, request.id);
  });
  app.get('/sites/:siteId/leads.csv', { config: admin }, async function exportCsv(request, reply) {
    const csv = await exportLeadsCsv(deps, actorOf(request), parse(siteParams, request.params).siteId, request.id);
    return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="leads.csv"').send(csv);
  });
  app.get('/sites/:siteId/insights', { config: admin }, async function insightsRoute(request) {
    return insights(deps, actorOf(request), parse(siteParams, request.params).siteId, parse(daysQuery, request.query).days);
  });
  app.get('/usage', { config: admin }, async function usageRoute(request) {
    return usage(deps, actorOf(request), parse(daysQuery, request.query).days);
  });
}
