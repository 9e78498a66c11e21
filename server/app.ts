import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { RateTier } from './config.ts';
import type { Deps } from './deps.ts';
import { installErrorHandling } from './http/error-handler.ts';
import { redactUrl } from './http/logger.ts';
import { rateLimitHook, requireRateTier } from './http/rate-limit.ts';
import { applyHeaders, securityHeaders } from './http/security-headers.ts';
import { apiRoutes } from './api.ts';
import { healthRoutes } from './health/health.routes.ts';
import { widgetRoutes } from './widget/widget.routes.ts';
import { widgetAssetsRoutes } from './widget-assets/assets.routes.ts';
import { dashboardRoutes } from './dashboard-assets/assets.routes.ts';

/** One registered route: method, URL pattern and rate-limit tier. */
export interface RouteSummary {
  method: string;
  url: string;
  tier: RateTier;
  /** Who may call it: members of a tenant, any signed-in user, or anyone. */
  auth: 'tenant' | 'user' | 'none';
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route the app registered, for tests that sweep them all. */
    routeTable: RouteSummary[];
  }
}

/** The parts of Deps the HTTP app needs. */
export type AppDeps = Pick<Deps, 'config' | 'logger' | 'database' | 'state' | 'storage' | 'queue' | 'keys' | 'audit' | 'providers' | 'fetcher' | 'embedder' | 'llm'>;

/**
 * Builds the Fastify app (without listening): hooks every route shares, then the features.
 * Tests call it with `inject()`.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }), // one access line per request, below
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    trustProxy: config.trustedProxies.length ? config.trustedProxies : false,
    bodyLimit: config.bodyLimitBytes,
    requestTimeout: config.requestTimeoutMs,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: 200 },
  });
  // JSON only: other bodies are refused with 415 (uploads register their own parser).
  app.removeContentTypeParser('text/plain');

  const headers = securityHeaders(config.publicUrl);
  app.addHook('onRequest', function baseHeaders(request, reply, done) {
    applyHeaders(reply, headers);
    reply.header('x-request-id', request.id);
    done();
  });
  // Every route is recorded with its tier (the cross-tenant sweep enumerates this table).
  const routeTable: RouteSummary[] = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', function recordRoute(route) {
    requireRateTier(route);
    const url = route.url ?? route.path;
    const auth = route.config?.auth ?? (url.startsWith('/api/') ? 'tenant' : 'none');
    for (const method of [route.method].flat()) routeTable.push({ method, url, tier: route.config!.rateTier!, auth });
  });
  app.addHook('preValidation', rateLimitHook(deps.state, config.rateLimits));
  app.addHook('onResponse', function accessLog(request, reply, done) {
    request.log.info(
      { method: request.method, url: redactUrl(request.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime), ip: request.ip },
      'request',
    );
    done();
  });
  installErrorHandling(app);

  await app.register(healthRoutes, deps);
  await app.register(apiRoutes, { prefix: '/api', deps });
  await app.register(widgetRoutes, { prefix: '/widget/v1', deps });
  await app.register(widgetAssetsRoutes, { config, ...(config.assets.widgetDir ? { dir: config.assets.widgetDir } : {}) });
  await app.register(dashboardRoutes, { config, ...(config.assets.dashboardDir ? { dir: config.assets.dashboardDir } : {}) });
  return app;
}
