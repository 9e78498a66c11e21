import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Deps } from './deps.ts';
import { installErrorHandling } from './http/error-handler.ts';
import { redactUrl } from './http/logger.ts';
import { rateLimitHook, requireRateTier } from './http/rate-limit.ts';
import { applyHeaders, securityHeaders } from './http/security-headers.ts';
import { healthRoutes } from './health/health.routes.ts';

/** The parts of Deps the HTTP app needs. */
export type AppDeps = Pick<Deps, 'config' | 'logger' | 'database' | 'state' | 'storage' | 'queue'>;

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
  app.addHook('onRoute', requireRateTier);
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
  return app;
}
