import type { Kysely } from 'kysely';
import type { Audit } from '../audit/audit.ts';
import type { DB, Role } from '../db/schema.ts';
import { withSystem } from '../db/tenant.ts';
import { appError } from '../errors.ts';
import { hashSecret, newSecret } from './tokens.ts';

// Sessions span tenants (a user switches between theirs): reviewed cross-tenant module.

/** A session (one refresh-token family) and its current refresh token. */
export interface IssuedSession {
  sessionId: string;
  userId: string;
  tenantId: string | null;
  refreshToken: string;
}

const dayMs = 86_400_000;

/** Opens a session for the user in `tenantId` and returns its first refresh token. */
export async function openSession(db: Kysely<DB>, userId: string, tenantId: string, ttlDays: number): Promise<IssuedSession> {
  const refreshToken = newSecret();
  const expires = new Date(Date.now() + ttlDays * dayMs);
  const sessionId = await withSystem(db, async (tx) => {
    const { id } = await tx.insertInto('sessions').values({ user_id: userId, active_tenant_id: tenantId, expires_at: expires }).returning('id').executeTakeFirstOrThrow();
    await tx.insertInto('refresh_tokens').values({ session_id: id, token_hash: hashSecret(refreshToken), expires_at: expires }).execute();
    return id;
  });
  return { sessionId, userId, tenantId, refreshToken };
}

/**
 * Trades a refresh token for the next one. A token presented twice revokes its whole family
 * (the session) and is audited: someone holds a stolen copy.
 */
export async function rotateRefreshToken(db: Kysely<DB>, audit: Audit, refreshToken: string, requestId?: string): Promise<IssuedSession> {
  const outcome = await withSystem(db, async (tx) => {
    const row = await tx
      .selectFrom('refresh_tokens as r')
      .innerJoin('sessions as s', 's.id', 'r.session_id')
      .select(['r.id', 'r.used_at', 'r.expires_at', 's.id as session_id', 's.user_id', 's.active_tenant_id', 's.revoked_at', 's.expires_at as session_expires'])
      .where('r.token_hash', '=', hashSecret(refreshToken))
      .executeTakeFirst();
    if (!row || row.revoked_at || row.expires_at.getTime() < Date.now()) return { kind: 'invalid' as const };
    // Claim the token atomically: of two concurrent uses, only one updates the row.
    const claimed = await tx.updateTable('refresh_tokens').set({ used_at: new Date() }).where('id', '=', row.id).where('used_at', 'is', null).executeTakeFirst();
    if (row.used_at || claimed.numUpdatedRows === 0n) {
      await tx.updateTable('sessions').set({ revoked_at: new Date(), revoked_reason: 'refresh_token_reuse' }).where('id', '=', row.session_id).execute();
      await audit.record(tx, {
        tenantId: row.active_tenant_id,
        actor: { type: 'user', id: row.user_id },
        action: 'auth.refresh_token_reused',
        target: { type: 'session', id: row.session_id },
        metadata: { revoked: 'session' },
        ...(requestId ? { requestId } : {}),
      });
      return { kind: 'reused' as const };
    }
    const next = newSecret();
    await tx.insertInto('refresh_tokens').values({ session_id: row.session_id, token_hash: hashSecret(next), expires_at: row.session_expires }).execute();
    await tx.updateTable('sessions').set({ last_used_at: new Date() }).where('id', '=', row.session_id).execute();
    return { kind: 'ok' as const, session: { sessionId: row.session_id, userId: row.user_id, tenantId: row.active_tenant_id, refreshToken: next } };
  });
  if (outcome.kind !== 'ok') throw appError('invalid_token', 'The refresh token is not valid. Sign in again.');
  return outcome.session;
}

/** Revokes sessions: one, every session of a user, or a user's sessions in one tenant. */
export async function revokeSessions(
  db: Kysely<DB>,
  which: { sessionId: string } | { userId: string; tenantId?: string },
  reason: string,
): Promise<number> {
  return withSystem(db, async (tx) => {
    let q = tx.updateTable('sessions').set({ revoked_at: new Date(), revoked_reason: reason }).where('revoked_at', 'is', null);
    if ('sessionId' in which) q = q.where('id', '=', which.sessionId);
    else {
      q = q.where('user_id', '=', which.userId);
      if (which.tenantId) q = q.where('active_tenant_id', '=', which.tenantId);
    }
    return Number((await q.executeTakeFirst()).numUpdatedRows);
  });
}

/** Moves a live session to another tenant of its user. */
export async function switchSessionTenant(db: Kysely<DB>, sessionId: string, tenantId: string): Promise<void> {
  await withSystem(db, (tx) => tx.updateTable('sessions').set({ active_tenant_id: tenantId }).where('id', '=', sessionId).where('revoked_at', 'is', null).execute());
}

/**
 * What a request may do: the session must be live and the user still a member of the token's
 * tenant; the role is read now, so a role change or removal takes effect at once.
 */
export async function loadSessionRole(db: Kysely<DB>, claims: { userId: string; sessionId: string; tenantId: string | null }): Promise<{ role: Role | null } | null> {
  return withSystem(db, async (tx) => {
    const session = await tx
      .selectFrom('sessions')
      .select(['revoked_at', 'expires_at'])
      .where('id', '=', claims.sessionId)
      .where('user_id', '=', claims.userId)
      .executeTakeFirst();
    if (!session || session.revoked_at || session.expires_at.getTime() < Date.now()) return null;
    if (!claims.tenantId) return { role: null };
    const m = await tx
      .selectFrom('memberships as m')
      .innerJoin('tenants as t', 't.id', 'm.tenant_id')
      .select('m.role')
      .where('m.user_id', '=', claims.userId)
      .where('m.tenant_id', '=', claims.tenantId)
      .where('t.status', '!=', 'terminated')
      .executeTakeFirst();
    return { role: m?.role ?? null };
  });
}

/** Creates a single-use sign-in link secret for a user, valid for 15 minutes. */
export async function createSigninLink(db: Kysely<DB>, userId: string): Promise<string> {
  const token = newSecret();
  await withSystem(db, (tx) =>
    tx.insertInto('signin_links').values({ token_hash: hashSecret(token), user_id: userId, expires_at: new Date(Date.now() + 15 * 60_000) }).execute(),
  );
  return token;
}

/** Redeems a sign-in link once; returns its user, or throws `invalid_token`. */
export async function redeemSigninLink(db: Kysely<DB>, token: string): Promise<string> {
  const row = await withSystem(db, (tx) =>
    tx
      .updateTable('signin_links')
      .set({ used_at: new Date() })
      .where('token_hash', '=', hashSecret(token))
      .where('used_at', 'is', null)
      .where('expires_at', '>', new Date())
      .returning('user_id')
      .executeTakeFirst(),
  );
  if (!row) throw appError('invalid_token', 'This sign-in link is not valid any more. Ask for a new one.');
  return row.user_id;
}
