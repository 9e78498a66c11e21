import type { FastifyInstance } from 'fastify';
import { authRoutes } from './auth/auth.routes.ts';
import { authenticateHook } from './auth/authenticate.ts';
import type { Deps } from './deps.ts';
import { sitesRoutes } from './sites/sites.routes.ts';
import { tenantsRoutes } from './tenants/tenants.routes.ts';
import { membersRoutes } from './members/members.routes.ts';
import { auditRoutes } from './audit/audit.routes.ts';
import { knowledgeRoutes } from './knowledge/knowledge.routes.ts';
import { inboxRoutes } from './inbox/inbox.routes.ts';

/** What the dashboard API needs. */
export type ApiDeps = Pick<Deps, 'config' | 'database' | 'state' | 'storage' | 'queue' | 'keys' | 'audit' | 'providers' | 'fetcher' | 'embedder'>;

/**
 * The dashboard API under `/api`: its own encapsulated context, where every route is
 * authenticated (Bearer access token) unless it declares `auth: 'none'`.
 */
export async function apiRoutes(app: FastifyInstance, { deps }: { deps: ApiDeps }): Promise<void> {
  app.decorateRequest('signedIn', null);
  app.addHook('preHandler', authenticateHook(deps.database.db, deps.keys, deps.config.publicUrl));
  // Nothing the API returns may be cached by a browser or a proxy.
  app.addHook('onSend', async function noStore(_request, reply) {
    reply.header('cache-control', 'no-store');
  });
  await app.register(authRoutes, deps);
  await app.register(sitesRoutes, deps);
  await app.register(tenantsRoutes, deps);
  await app.register(membersRoutes, deps);
  await app.register(auditRoutes, deps);
  await app.register(knowledgeRoutes, deps);
  await app.register(inboxRoutes, deps);
}
