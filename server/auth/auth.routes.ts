import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parse } from '../http/validate.ts';
import { userOf } from './authenticate.ts';
import { exchangeCode, finishSignIn, logout, me, redeemLink, refresh, startSignIn, switchTenant, type AuthDeps } from './auth.service.ts';

const secret = z.string().min(20).max(200).regex(/^[A-Za-z0-9_-]+$/, 'not a valid token');
const codeBody = z.object({ code: secret }).strict();
const linkBody = z.object({ token: secret }).strict();
const refreshBody = z.object({ refreshToken: secret }).strict();
const switchBody = z.object({ tenantId: z.uuid() }).strict();
const providerParams = z.object({ provider: z.string().max(40) });

/** Sign-in, tokens, sessions and `/api/me`. Mounted under `/api`. */
export async function authRoutes(app: FastifyInstance, deps: AuthDeps): Promise<void> {
  const open = { rateTier: 'auth' as const, auth: 'none' as const };
  const signedIn = { rateTier: 'auth' as const, auth: 'user' as const };

  app.get('/auth/providers', { config: { rateTier: 'public', auth: 'none' } }, async function providers() {
    return { providers: [...deps.providers.keys()], signinLinks: deps.config.signinLinks };
  });

  app.get('/auth/:provider/start', { config: open }, async function start(request, reply) {
    const { provider } = parse(providerParams, request.params);
    const url = await startSignIn(deps, provider);
    return reply.header('cache-control', 'no-store').redirect(url, 302);
  });

  app.get('/auth/:provider/callback', { config: open }, async function callback(request, reply) {
    const { provider } = parse(providerParams, request.params);
    reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
    const app = `${deps.config.publicUrl}/app/`;
    try {
      const code = await finishSignIn(deps, provider, new URL(request.url, deps.config.publicUrl), request.id);
      // The one-time code rides in the fragment, which browsers never send to a server.
      return reply.redirect(`${app}#exchange=${code}`, 302);
    } catch (err) {
      request.log.info({ code: (err as { code?: string }).code }, 'sign-in failed');
      return reply.redirect(`${app}#error=sign_in_failed`, 302);
    }
  });

  app.post('/auth/exchange', { config: open }, async function exchange(request) {
    return exchangeCode(deps, parse(codeBody, request.body).code);
  });

  app.post('/auth/signin-link', { config: open }, async function signinLink(request) {
    return redeemLink(deps, parse(linkBody, request.body).token, request.id);
  });

  app.post('/auth/refresh', { config: open }, async function refreshRoute(request) {
    return refresh(deps, parse(refreshBody, request.body).refreshToken, request.id);
  });

  app.post('/auth/logout', { config: signedIn }, async function logoutRoute(request) {
    return logout(deps, userOf(request), false, request.id);
  });

  app.post('/auth/logout-all', { config: signedIn }, async function logoutAll(request) {
    return logout(deps, userOf(request), true, request.id);
  });

  app.post('/auth/switch-tenant', { config: signedIn }, async function switchRoute(request) {
    return switchTenant(deps, userOf(request), parse(switchBody, request.body).tenantId);
  });

  app.get('/me', { config: { rateTier: 'admin', auth: 'user' } }, async function meRoute(request) {
    return me(deps, userOf(request));
  });
}
