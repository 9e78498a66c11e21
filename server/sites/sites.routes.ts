import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { createSiteBody, updateSiteBody } from '../../contracts/sites.ts';
import { actorOf } from '../auth/authenticate.ts';
import { pageQuery } from '../http/paging.ts';
import { parse } from '../http/validate.ts';
import { createSite, deleteSite, getSite, listSitesPage, rotateEmbedKey, updateSite, type SitesDeps } from './sites.service.ts';

const siteParams = z.object({ siteId: z.string().max(100) });

/** `/api/sites…`: a tenant's sites. */
export async function sitesRoutes(app: FastifyInstance, deps: SitesDeps): Promise<void> {
  const admin = { rateTier: 'admin' as const };

  app.get('/sites', { config: admin }, async function list(request) {
    return listSitesPage(deps, actorOf(request), parse(pageQuery, request.query));
  });

  app.post('/sites', { config: admin }, async function create(request, reply) {
    const site = await createSite(deps, actorOf(request), parse(createSiteBody, request.body), request.id);
    return reply.code(201).send(site);
  });

  app.get('/sites/:siteId', { config: admin }, async function get(request) {
    return getSite(deps, actorOf(request), parse(siteParams, request.params).siteId);
  });

  app.patch('/sites/:siteId', { config: admin }, async function update(request) {
    return updateSite(deps, actorOf(request), parse(siteParams, request.params).siteId, parse(updateSiteBody, request.body), request.id);
  });

  app.delete('/sites/:siteId', { config: admin }, async function remove(request, reply) {
    await deleteSite(deps, actorOf(request), parse(siteParams, request.params).siteId, request.id);
    return reply.code(204).send();
  });

  app.post('/sites/:siteId/rotate-key', { config: admin }, async function rotate(request) {
    return rotateEmbedKey(deps, actorOf(request), parse(siteParams, request.params).siteId, request.id);
  });
}
