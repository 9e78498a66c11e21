import type { AuditEvent } from '../audit/audit.ts';
import { withSystem } from '../db/tenant.ts';
import type { Deps } from '../deps.ts';
import { appError, AppError } from '../errors.ts';
import { listMemberships, membershipRole, resolveEmail, resolveIdentity, type MembershipView } from './accounts.system.ts';
import type { SignedIn } from './authenticate.ts';
import type { PendingSignIn, ProviderId } from './providers/provider.ts';
import { createSigninLink, openSession, redeemSigninLink, revokeSessions, rotateRefreshToken, switchSessionTenant, type IssuedSession } from './sessions.system.ts';
import { hashSecret, newSecret, signAccessToken } from './tokens.ts';

/** What the auth services need. */
export type AuthDeps = Pick<Deps, 'config' | 'database' | 'state' | 'keys' | 'audit' | 'providers'>;

/** The tokens a client receives (in a response body, never in a URL). */
export interface TokenResponse {
  tokenType: 'Bearer';
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  tenantId: string | null;
}

const pendingTtlMs = 10 * 60_000;
const exchangeTtlMs = 60_000;

/** Writes an audit event in its own system transaction (for events with no other write). */
export async function auditAlone(deps: Pick<Deps, 'database' | 'audit'>, event: AuditEvent): Promise<void> {
  await withSystem(deps.database.db, (tx) => deps.audit.record(tx, event));
}

/** Issues an access token for a session (and hands back its refresh token). */
async function tokensFor(deps: AuthDeps, session: IssuedSession): Promise<TokenResponse> {
  const ttl = deps.config.tokens.accessTtlSeconds;
  const accessToken = await signAccessToken(deps.keys, deps.config.publicUrl, { userId: session.userId, sessionId: session.sessionId, tenantId: session.tenantId }, ttl);
  return { tokenType: 'Bearer', accessToken, expiresIn: ttl, refreshToken: session.refreshToken, tenantId: session.tenantId };
}

function provider(deps: AuthDeps, id: string) {
  const p = deps.providers.get(id as ProviderId);
  if (!p) throw appError('provider_not_found');
  return p;
}

/** The callback address registered with each provider's OAuth app. */
export function redirectUri(deps: AuthDeps, id: string): string {
  return `${deps.config.publicUrl}/api/auth/${id}/callback`;
}

/** Begins sign-in: remembers state, nonce and PKCE verifier (single use, 10 minutes) and returns the provider URL. */
export async function startSignIn(deps: AuthDeps, id: string): Promise<string> {
  const p = provider(deps, id);
  const { url, pending } = await p.start(redirectUri(deps, id));
  await deps.state.set(`signin:${hashSecret(pending.state)}`, JSON.stringify(pending), pendingTtlMs);
  return url;
}

/**
 * Completes the provider callback: checks the pending attempt (single use), verifies with the
 * provider, resolves the user and returns a one-time exchange code for the dashboard.
 */
export async function finishSignIn(deps: AuthDeps, id: string, callbackUrl: URL, requestId: string): Promise<string> {
  const p = provider(deps, id);
  const state = callbackUrl.searchParams.get('state') ?? '';
  try {
    const stored = state ? await deps.state.take(`signin:${hashSecret(state)}`) : null;
    if (!stored) throw appError('sign_in_failed', undefined, { reason: 'state_mismatch' });
    const pending = JSON.parse(stored) as PendingSignIn;
    if (pending.provider !== id) throw appError('sign_in_failed', undefined, { reason: 'state_mismatch' });
    const identity = await p.finish(callbackUrl, pending, redirectUri(deps, id));
    const user = await resolveIdentity(deps.database.db, deps.audit, identity, requestId);
    await auditAlone(deps, {
      tenantId: user.tenantId,
      actor: { type: 'user', id: user.userId },
      action: 'auth.sign_in',
      requestId,
      metadata: { method: id, newUser: user.created },
    });
    return createExchangeCode(deps, user.userId, user.tenantId);
  } catch (err) {
    const reason = err instanceof AppError ? ((err.details as { reason?: string } | undefined)?.reason ?? err.code) : 'internal';
    await auditAlone(deps, { tenantId: null, actor: { type: 'anonymous' }, action: 'auth.sign_in_failed', requestId, metadata: { method: id, reason } }).catch(() => {});
    throw err instanceof AppError ? err : appError('sign_in_failed', undefined, { reason: 'internal' });
  }
}

/** A one-time code (60 seconds) the dashboard trades for tokens. */
async function createExchangeCode(deps: AuthDeps, userId: string, tenantId: string): Promise<string> {
  const code = newSecret();
  await deps.state.set(`exchange:${hashSecret(code)}`, JSON.stringify({ userId, tenantId }), exchangeTtlMs);
  return code;
}

/** Trades a one-time exchange code for a new session's tokens. */
export async function exchangeCode(deps: AuthDeps, code: string): Promise<TokenResponse> {
  const stored = await deps.state.take(`exchange:${hashSecret(code)}`);
  if (!stored) throw appError('invalid_token', 'This sign-in code has expired or was already used. Sign in again.');
  const { userId, tenantId } = JSON.parse(stored) as { userId: string; tenantId: string };
  return tokensFor(deps, await openSession(deps.database.db, userId, tenantId, deps.config.tokens.refreshTtlDays));
}

/** Creates a sign-in link for an email (creating the user and their tenant on first use). */
export async function signinLinkFor(deps: AuthDeps, email: string): Promise<string> {
  if (!deps.config.signinLinks) throw appError('signin_links_disabled');
  const user = await resolveEmail(deps.database.db, deps.audit, email);
  const token = await createSigninLink(deps.database.db, user.userId);
  // The secret rides in the fragment: browsers never send it to a server, so it is in no log.
  return `${deps.config.publicUrl}/app/#signin=${token}`;
}

/** Redeems a sign-in link (single use, 15 minutes) for a new session's tokens. */
export async function redeemLink(deps: AuthDeps, token: string, requestId: string): Promise<TokenResponse> {
  if (!deps.config.signinLinks) throw appError('signin_links_disabled');
  const userId = await redeemSigninLink(deps.database.db, token);
  const memberships = await listMemberships(deps.database.db, userId);
  const tenantId = memberships.find((m) => m.role === 'owner')?.tenantId ?? memberships[0]?.tenantId ?? null;
  if (!tenantId) throw appError('invalid_token');
  await auditAlone(deps, { tenantId, actor: { type: 'user', id: userId }, action: 'auth.sign_in', requestId, metadata: { method: 'link' } });
  return tokensFor(deps, await openSession(deps.database.db, userId, tenantId, deps.config.tokens.refreshTtlDays));
}

/** Rotates a refresh token; a session whose tenant membership ended moves to the user's next tenant. */
export async function refresh(deps: AuthDeps, refreshToken: string, requestId: string): Promise<TokenResponse> {
  const db = deps.database.db;
  const session = await rotateRefreshToken(db, deps.audit, refreshToken, requestId);
  if (!session.tenantId || !(await membershipRole(db, session.userId, session.tenantId))) {
    const next = (await listMemberships(db, session.userId))[0]?.tenantId ?? null;
    if (!next) {
      await revokeSessions(db, { sessionId: session.sessionId }, 'no_membership');
      throw appError('invalid_token', 'You are not a member of any workspace any more.');
    }
    await switchSessionTenant(db, session.sessionId, next);
    session.tenantId = next;
  }
  await auditAlone(deps, { tenantId: session.tenantId, actor: { type: 'user', id: session.userId }, action: 'auth.token_refreshed', requestId, metadata: { session: session.sessionId } });
  return tokensFor(deps, session);
}

/** Ends this session, or with `everywhere` every session of the user. */
export async function logout(deps: AuthDeps, who: SignedIn, everywhere: boolean, requestId: string): Promise<{ revoked: number }> {
  const revoked = await revokeSessions(deps.database.db, everywhere ? { userId: who.userId } : { sessionId: who.sessionId }, everywhere ? 'logout_all' : 'logout');
  await auditAlone(deps, {
    tenantId: who.tenantId,
    actor: { type: 'user', id: who.userId },
    action: everywhere ? 'auth.logout_all' : 'auth.logout',
    requestId,
    metadata: { sessions: revoked },
  });
  return { revoked };
}

/** Moves the session to another of the user's tenants and returns a fresh access token for it. */
export async function switchTenant(deps: AuthDeps, who: SignedIn, tenantId: string): Promise<Omit<TokenResponse, 'refreshToken'>> {
  const role = await membershipRole(deps.database.db, who.userId, tenantId);
  if (!role) throw appError('tenant_not_found');
  await switchSessionTenant(deps.database.db, who.sessionId, tenantId);
  const ttl = deps.config.tokens.accessTtlSeconds;
  const accessToken = await signAccessToken(deps.keys, deps.config.publicUrl, { userId: who.userId, sessionId: who.sessionId, tenantId }, ttl);
  return { tokenType: 'Bearer', accessToken, expiresIn: ttl, tenantId };
}

/** The signed-in user, their memberships and where they are now. */
export async function me(deps: AuthDeps, who: SignedIn): Promise<{ user: { id: string; email: string | null; name: string | null }; tenantId: string | null; role: string | null; memberships: MembershipView[] }> {
  const db = deps.database.db;
  const user = await withSystem(db, (tx) => tx.selectFrom('users').select(['id', 'email', 'name']).where('id', '=', who.userId).executeTakeFirstOrThrow());
  return { user, tenantId: who.tenantId, role: who.role, memberships: await listMemberships(db, who.userId) };
}

/** The link printed at start-up (no provider configured, not production): for the first Owner, created on first start. */
export async function firstOwnerSigninLink(deps: AuthDeps): Promise<string> {
  const owner = await withSystem(deps.database.db, (tx) =>
    tx
      .selectFrom('memberships as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select('u.email')
      .where('m.role', '=', 'owner')
      .where('u.email_verified', '=', true)
      .orderBy('m.created_at')
      .limit(1)
      .executeTakeFirst(),
  );
  return signinLinkFor(deps, owner?.email ?? 'owner@localhost');
}
