import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { DB, Role } from '../db/schema.ts';
import { appError } from '../errors.ts';
import type { KeyRing } from './keys.ts';
import type { Actor } from './permissions.ts';
import { loadSessionRole } from './sessions.system.ts';
import { verifyAccessToken } from './tokens.ts';

/** Who a route admits: a member of the token's tenant, any signed-in user, or anyone. */
export type AuthMode = 'tenant' | 'user' | 'none';

/** The signed-in user, possibly without a tenant (for `user` routes). */
export interface SignedIn {
  userId: string;
  sessionId: string;
  tenantId: string | null;
  role: Role | null;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route (default: `tenant`). */
    auth?: AuthMode;
  }
  interface FastifyRequest {
    signedIn: SignedIn | null;
  }
}

/** The Bearer token of a request, or null. Tokens are read from the header only, never from the URL. */
export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer ([A-Za-z0-9._~+/=-]{10,4096})$/i.exec(header);
  if (!match) throw appError('invalid_token');
  return match[1]!;
}

/** A preHandler that verifies the access token and the live session, and sets `request.signedIn`. */
export function authenticateHook(db: Kysely<DB>, keys: KeyRing, issuer: string) {
  return async function authenticate(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const mode = request.routeOptions.config.auth ?? 'tenant';
    request.signedIn = null;
    if (mode === 'none') return;
    const token = bearerToken(request);
    if (!token) throw appError('unauthorized');
    const claims = await verifyAccessToken(keys, issuer, token);
    const session = await loadSessionRole(db, claims);
    if (!session) throw appError('invalid_token', 'Your session has ended. Sign in again.');
    if (mode === 'tenant' && (!claims.tenantId || !session.role)) throw appError('invalid_token', 'You are no longer a member of this workspace.');
    request.signedIn = { ...claims, role: session.role };
  };
}

/** The acting member for a `tenant` route (set by the authenticate hook). */
export function actorOf(request: FastifyRequest): Actor {
  const s = request.signedIn;
  if (!s || !s.tenantId || !s.role) throw appError('unauthorized');
  return { userId: s.userId, sessionId: s.sessionId, tenantId: s.tenantId, role: s.role };
}

/** The signed-in user for a `user` route. */
export function userOf(request: FastifyRequest): SignedIn {
  if (!request.signedIn) throw appError('unauthorized');
  return request.signedIn;
}
