import { randomUUID } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Kysely } from 'kysely';
import { signinLinkFor, type AuthDeps, type TokenResponse } from '../server/auth/auth.service.ts';
import type { DB } from '../server/db/schema.ts';
import { withSystem } from '../server/db/tenant.ts';

/** A unique address on a reserved domain: the server test database is shared between runs. */
export function randomEmail(label = 'user'): string {
  return `${label}-${randomUUID().slice(0, 12)}@cloop-test.example`;
}

/** The `Authorization` header for an access token. */
export function bearer(accessToken: string): { authorization: string } {
  return { authorization: `Bearer ${accessToken}` };
}

/** GET /api/me as the holder of `accessToken`. */
export function getMe(app: FastifyInstance, accessToken: string): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'GET', url: '/api/me', headers: bearer(accessToken) });
}

/** POST /api/auth/refresh with a refresh token. */
export function postRefresh(app: FastifyInstance, refreshToken: string): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken } });
}

/** A named parameter of a URL's fragment (`#exchange=…`, `#signin=…`, `#error=…`), or null. */
export function fragmentParam(url: string, name: string): string | null {
  return new URLSearchParams(new URL(url).hash.slice(1)).get(name);
}

/** Every value a sign-in through a provider shows along the way (so tests can look for them in logs). */
export interface ProviderSignIn {
  /** Where `/start` sent the browser (the identity provider). */
  authorizationUrl: string;
  /** Our `state` as it travelled to the provider. */
  state: string;
  /** The callback URL the provider sent the browser back to. */
  callback: URL;
  /** The provider's authorization code in that callback. */
  idpCode: string;
  /** Our answer to the callback: the dashboard URL with `#exchange=` or `#error=`. */
  landing: string;
  /** The one-time exchange code, or null when the callback failed. */
  exchangeCode: string | null;
  /** The callback response's request id (audit events carry it). */
  callbackRequestId: string;
}

/**
 * Plays the browser through `/api/auth/<provider>/start` → identity provider → our callback, and
 * stops before the exchange. `login` signs in at the provider and returns the callback URL;
 * `tamper` may change that URL before it reaches us.
 */
export async function providerCallback(
  app: FastifyInstance,
  provider: string,
  login: (authorizationUrl: string) => Promise<string>,
  tamper: (callback: URL) => URL = (u) => u,
): Promise<ProviderSignIn> {
  const start = await app.inject({ method: 'GET', url: `/api/auth/${provider}/start` });
  if (start.statusCode !== 302) throw new Error(`start answered ${start.statusCode}: ${start.body}`);
  const authorizationUrl = String(start.headers.location);
  const state = new URL(authorizationUrl).searchParams.get('state') ?? '';
  const callback = tamper(new URL(await login(authorizationUrl)));
  return { authorizationUrl, state, ...(await visitCallback(app, callback)) };
}

/** GETs a callback URL on our app (path and query only, as a browser would reach it). */
export async function visitCallback(app: FastifyInstance, callback: URL) {
  const res = await app.inject({ method: 'GET', url: `${callback.pathname}${callback.search}` });
  if (res.statusCode !== 302) throw new Error(`callback answered ${res.statusCode}: ${res.body}`);
  const landing = String(res.headers.location);
  return {
    callback,
    idpCode: callback.searchParams.get('code') ?? '',
    landing,
    exchangeCode: fragmentParam(landing, 'exchange'),
    callbackRequestId: String(res.headers['x-request-id']),
  };
}

/** POST /api/auth/exchange with a one-time code. */
export function postExchange(app: FastifyInstance, code: string): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: '/api/auth/exchange', payload: { code } });
}

/** The whole provider sign-in, through the exchange; throws unless every step succeeds. */
export async function signInWithProvider(
  app: FastifyInstance,
  provider: string,
  login: (authorizationUrl: string) => Promise<string>,
): Promise<ProviderSignIn & { tokens: TokenResponse }> {
  const attempt = await providerCallback(app, provider, login);
  if (!attempt.exchangeCode) throw new Error(`sign-in with ${provider} failed: ${attempt.landing}`);
  const res = await postExchange(app, attempt.exchangeCode);
  if (res.statusCode !== 200) throw new Error(`exchange answered ${res.statusCode}: ${res.body}`);
  return { ...attempt, tokens: res.json<TokenResponse>() };
}

/** Makes a sign-in link for `email` (creating the user on first use) and redeems it. */
export async function signInByLink(t: { app: FastifyInstance; deps: AuthDeps }, email: string): Promise<TokenResponse & { linkToken: string }> {
  const linkToken = fragmentParam(await signinLinkFor(t.deps, email), 'signin');
  if (!linkToken) throw new Error('the sign-in link has no #signin= token');
  const res = await t.app.inject({ method: 'POST', url: '/api/auth/signin-link', payload: { token: linkToken } });
  if (res.statusCode !== 200) throw new Error(`signin-link answered ${res.statusCode}: ${res.body}`);
  return { ...res.json<TokenResponse>(), linkToken };
}

/** Audit events with this action (and request id or actor), read as the system role. */
export function auditEvents(db: Kysely<DB>, action: string, where: { requestId?: string; actorId?: string }) {
  return withSystem(db, (tx) => {
    let q = tx.selectFrom('audit_events').selectAll().where('action', '=', action);
    if (where.requestId) q = q.where('request_id', '=', where.requestId);
    if (where.actorId) q = q.where('actor_id', '=', where.actorId);
    return q.execute();
  });
}
