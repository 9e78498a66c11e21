import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { rateTiers, type Config, type RateTier } from '../config.ts';
import { appError } from '../errors.ts';
import type { StateStore } from '../platform/state/state-store.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The rate-limit tier of the route; every route must declare one. */
    rateTier?: RateTier;
    /** Health probes still answer when the state store is down. */
    failOpen?: boolean;
  }
}

/** Refuses to register a route that does not declare its rate-limit tier. */
export function requireRateTier(route: RouteOptions): void {
  const tier = route.config?.rateTier;
  if (!tier || !rateTiers.includes(tier)) {
    throw new Error(`Route ${route.method} ${route.url} must declare config.rateTier (${rateTiers.join(' | ')})`);
  }
}

/**
 * A preHandler-stage hook: one sliding-window check per request, keyed by tier and client IP
 * (`request.ip` honours X-Forwarded-For only from configured trusted proxies).
 */
export function rateLimitHook(state: StateStore, limits: Config['rateLimits']) {
  return async function rateLimit(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const config = request.routeOptions.config;
    const tier = config.rateTier;
    if (!tier) return;
    const { max, windowMs } = limits[tier];
    let result;
    try {
      result = await state.hit(`rl:${tier}:${request.ip}`, max, windowMs);
    } catch (err) {
      if (config.failOpen) return;
      throw err;
    }
    reply.header('ratelimit-limit', max);
    reply.header('ratelimit-remaining', result.remaining);
    if (!result.allowed) {
      const seconds = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
      throw appError('rate_limited', undefined, undefined, { 'retry-after': String(seconds) });
    }
  };
}
