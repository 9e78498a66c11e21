import { sql } from 'kysely';
import type { SignedIn } from '../auth/authenticate.ts';
import { authorize, type Actor } from '../auth/permissions.ts';
import { hashSecret, newSecret } from '../auth/tokens.ts';
import type { Role } from '../db/schema.ts';
import { isUuid, withSystem, withTenant } from '../db/tenant.ts';
import { appError } from '../errors.ts';
import { checkLimit } from '../tenants/tiers.ts';
import type { MembersDeps } from './members.service.ts';

const inviteTtlMs = 7 * 86_400_000;

/** A pending invitation as the team page shows it (never its secret). */
export interface InvitationView {
  id: string;
  email: string;
  role: Role;
  createdAt: string;
  expiresAt: string;
}

/** Creates a single-use invitation (7 days) for an email and role; the link carries the secret in its fragment. */
export async function invite(deps: MembersDeps, actor: Actor, input: { email: string; role: Role }, requestId: string): Promise<{ invitation: InvitationView; inviteUrl: string }> {
  authorize(actor, 'member.invite');
  if (input.role === 'owner') authorize(actor, 'member.manage_owners');
  const token = newSecret();
  const row = await withTenant(deps.database.db, actor.tenantId, async (tx) => {
    const tier = (await tx.selectFrom('tenants').select('tier').executeTakeFirstOrThrow()).tier;
    const members = Number((await tx.selectFrom('memberships').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const pending = Number(
      (await tx.selectFrom('invitations').select((eb) => eb.fn.countAll<number>().as('n')).where('accepted_at', 'is', null).where('revoked_at', 'is', null).where('expires_at', '>', new Date()).executeTakeFirstOrThrow()).n,
    );
    checkLimit(tier, 'members', members + pending);
    const inv = await tx
      .insertInto('invitations')
      .values({ tenant_id: actor.tenantId, email: input.email.toLowerCase(), role: input.role, token_hash: hashSecret(token), created_by: actor.userId, expires_at: new Date(Date.now() + inviteTtlMs) })
      .returningAll()
      .executeTakeFirstOrThrow();
    await deps.audit.record(tx, { tenantId: actor.tenantId, actor: { type: 'user', id: actor.userId }, action: 'member.invited', target: { type: 'invitation', id: inv.id }, requestId, metadata: { email: inv.email, role: inv.role } });
    return inv;
  });
  return { invitation: present(row), inviteUrl: `${deps.config.publicUrl}/app/#invite=${token}` };
}

function present(r: { id: string; email: string; role: Role; created_at: Date; expires_at: Date }): InvitationView {
  return { id: r.id, email: r.email, role: r.role, createdAt: r.created_at.toISOString(), expiresAt: r.expires_at.toISOString() };
}

/** The tenant's pending invitations. */
export async function listInvitations(deps: MembersDeps, actor: Actor): Promise<{ items: InvitationView[] }> {
  authorize(actor, 'member.read');
  const rows = await withTenant(deps.database.db, actor.tenantId, (tx) =>
    tx.selectFrom('invitations').selectAll().where('accepted_at', 'is', null).where('revoked_at', 'is', null).where('expires_at', '>', new Date()).orderBy('created_at', 'desc').execute(),
  );
  return { items: rows.map(present) };
}

/** Withdraws a pending invitation. */
export async function revokeInvitation(deps: MembersDeps, actor: Actor, invitationId: string, requestId: string): Promise<void> {
  authorize(actor, 'member.invite');
  await withTenant(deps.database.db, actor.tenantId, async (tx) => {
    const inv = isUuid(invitationId) ? await tx.selectFrom('invitations').select(['id', 'role', 'email']).where('id', '=', invitationId).where('accepted_at', 'is', null).where('revoked_at', 'is', null).executeTakeFirst() : undefined;
    if (!inv) throw appError('invitation_not_found');
    if (inv.role === 'owner') authorize(actor, 'member.manage_owners');
    await tx.updateTable('invitations').set({ revoked_at: new Date() }).where('id', '=', inv.id).execute();
    await deps.audit.record(tx, { tenantId: actor.tenantId, actor: { type: 'user', id: actor.userId }, action: 'member.invitation_revoked', target: { type: 'invitation', id: inv.id }, requestId, metadata: { email: inv.email } });
  });
}

/**
 * Accepts an invitation for the signed-in user (cross-tenant by nature: the user is not a member yet).
 * One of the user's verified emails must match the invitation's.
 */
export async function acceptInvitation(deps: MembersDeps, who: SignedIn, token: string, requestId: string): Promise<{ tenantId: string; role: Role }> {
  return withSystem(deps.database.db, async (tx) => {
    const inv = await tx.selectFrom('invitations').selectAll().where('token_hash', '=', hashSecret(token)).forUpdate().executeTakeFirst();
    if (!inv || inv.revoked_at) throw appError('invitation_invalid');
    if (inv.accepted_at) throw appError('invitation_used');
    if (inv.expires_at.getTime() < Date.now()) throw appError('invitation_expired');
    const verified = await tx
      .selectFrom('users')
      .select(sql<string>`lower(email)`.as('email'))
      .where('id', '=', who.userId)
      .where('email_verified', '=', true)
      .union(tx.selectFrom('identities').select(sql<string>`lower(email)`.as('email')).where('user_id', '=', who.userId).where('email_verified', '=', true))
      .execute();
    if (!verified.some((v) => v.email === inv.email)) throw appError('invitation_email_mismatch');
    await tx.updateTable('invitations').set({ accepted_at: new Date(), accepted_by: who.userId }).where('id', '=', inv.id).execute();
    await tx
      .insertInto('memberships')
      .values({ tenant_id: inv.tenant_id, user_id: who.userId, role: inv.role })
      .onConflict((oc) => oc.columns(['tenant_id', 'user_id']).doNothing())
      .execute();
    await deps.audit.record(tx, { tenantId: inv.tenant_id, actor: { type: 'user', id: who.userId }, action: 'member.joined', target: { type: 'invitation', id: inv.id }, requestId, metadata: { role: inv.role } });
    return { tenantId: inv.tenant_id, role: inv.role };
  });
}
