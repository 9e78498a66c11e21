import type { Audit } from '../audit/audit.ts';
import { authorize, type Actor } from '../auth/permissions.ts';
import { revokeSessions } from '../auth/sessions.system.ts';
import type { Role } from '../db/schema.ts';
import { isUuid, withTenant, type TenantTx } from '../db/tenant.ts';
import type { Deps } from '../deps.ts';
import { appError } from '../errors.ts';

/** What member services need. */
export type MembersDeps = Pick<Deps, 'config' | 'database' | 'audit'>;

/** A member as the team page shows them. */
export interface MemberView {
  userId: string;
  email: string | null;
  name: string | null;
  role: Role;
  joinedAt: string;
}

/** Every member of the tenant. */
export async function listMembers(deps: MembersDeps, actor: Actor): Promise<{ items: MemberView[] }> {
  authorize(actor, 'member.read');
  const rows = await withTenant(deps.database.db, actor.tenantId, (tx) =>
    tx
      .selectFrom('memberships as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select(['m.user_id', 'u.email', 'u.name', 'm.role', 'm.created_at'])
      .orderBy('m.created_at')
      .execute(),
  );
  return { items: rows.map((r) => ({ userId: r.user_id, email: r.email, name: r.name, role: r.role, joinedAt: r.created_at.toISOString() })) };
}

async function memberOr404(tx: TenantTx, userId: string) {
  const m = isUuid(userId) ? await tx.selectFrom('memberships').select(['user_id', 'role']).where('user_id', '=', userId).executeTakeFirst() : undefined;
  if (!m) throw appError('member_not_found');
  return m;
}

async function ownerCount(tx: TenantTx): Promise<number> {
  const r = await tx.selectFrom('memberships').select((eb) => eb.fn.countAll<number>().as('n')).where('role', '=', 'owner').executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Admins manage Admins and Members; only Owners touch Owners or make new ones. */
function checkCanManage(actor: Actor, targetRole: Role, newRole?: Role): void {
  if (targetRole === 'owner' || newRole === 'owner') authorize(actor, 'member.manage_owners');
}

/** Changes a member's role; their sessions in this tenant end (they sign in again with the new role). */
export async function changeRole(deps: MembersDeps, actor: Actor, userId: string, role: Role, requestId: string): Promise<MemberView> {
  authorize(actor, 'member.update');
  const db = deps.database.db;
  await withTenant(db, actor.tenantId, async (tx) => {
    const m = await memberOr404(tx, userId);
    checkCanManage(actor, m.role, role);
    if (m.role === role) return;
    if (m.role === 'owner' && (await ownerCount(tx)) <= 1) throw appError('last_owner');
    await tx.updateTable('memberships').set({ role }).where('user_id', '=', userId).execute();
    await audit(deps.audit, tx, actor, 'member.role_changed', userId, requestId, { changes: { role: { old: m.role, new: role } } });
  });
  await revokeSessions(db, { userId, tenantId: actor.tenantId }, 'role_changed');
  return (await listMembers(deps, actor)).items.find((m) => m.userId === userId)!;
}

/** Removes a member; their sessions in this tenant end at once. A tenant always keeps one Owner. */
export async function removeMember(deps: MembersDeps, actor: Actor, userId: string, requestId: string): Promise<void> {
  authorize(actor, 'member.remove');
  const db = deps.database.db;
  await withTenant(db, actor.tenantId, async (tx) => {
    const m = await memberOr404(tx, userId);
    checkCanManage(actor, m.role);
    if (m.role === 'owner' && (await ownerCount(tx)) <= 1) throw appError('last_owner');
    await tx.deleteFrom('memberships').where('user_id', '=', userId).execute();
    await audit(deps.audit, tx, actor, 'member.removed', userId, requestId, { role: m.role });
  });
  await revokeSessions(db, { userId, tenantId: actor.tenantId }, 'member_removed');
}

function audit(a: Audit, tx: TenantTx, actor: Actor, action: string, userId: string, requestId: string, metadata: Record<string, unknown>) {
  return a.record(tx, { tenantId: actor.tenantId, actor: { type: 'user', id: actor.userId }, action, target: { type: 'user', id: userId }, requestId, metadata });
}
