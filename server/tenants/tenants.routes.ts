import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { actorOf } from '../auth/authenticate.ts';
import { parse } from '../http/validate.ts';
import { tiers, type Tier } from './tiers.ts';
import { exportTenant, getTenant, setTier, terminateTenant, updateTenant, type TenantsDeps } from './tenants.service.ts';

const updateBody = z.object({ name: z.string().trim().min(1).max(200).optional(), dailyBudgetUsd: z.number().min(0).max(100_000).optional() }).strict();
const tierBody = z.object({ tier: z.enum(Object.keys(tiers) as [Tier, ...Tier[]]) }).strict();

/** `/api/tenant…`: the current tenant, its tier and budget. */
export async function tenantsRoutes(app: FastifyInstance, deps: TenantsDeps): Promise<void> {
  const admin = { rateTier: 'admin' as const };
  app.get('/tenant', { config: admin }, async function get(request) {
    return getTenant(deps, actorOf(request));
  });
  app.patch('/tenant', { config: admin }, async function update(request) {
    return updateTenant(deps, actorOf(request), parse(updateBody, request.body), request.id);
  });
  app.put('/tenant/tier', { config: admin }, async function tier(request) {
    return setTier(deps, actorOf(request), parse(tierBody, request.body).tier, request.id);
  });
  app.get('/tenant/export', { config: admin }, async function exportRoute(request, reply) {
    const data = await exportTenant(deps, actorOf(request), request.id);
    return reply.header('content-disposition', 'attachment; filename="cloop-export.json"').send(data);
  });
  app.delete('/tenant', { config: admin }, async function terminate(request) {
    return terminateTenant(deps, actorOf(request), parse(z.object({ confirm: z.string().max(200) }).strict(), request.body).confirm, request.id);
  });
}
