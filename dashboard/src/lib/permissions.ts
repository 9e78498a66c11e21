// Which controls a role sees: a mirror of server/auth/permissions.ts (the API enforces it anyway).
import type { Role } from './types.ts';

const managers: readonly Role[] = ['owner', 'admin'];
const owners: readonly Role[] = ['owner'];

const table = {
  manageSites: managers,
  manageKnowledge: managers,
  deleteConversations: managers,
  updateLeads: managers,
  exportLeads: managers,
  manageTeam: managers,
  manageOwners: owners,
  readAudit: managers,
  renameWorkspace: managers,
  changeTier: owners,
  changeBudget: owners,
  terminateWorkspace: owners,
} as const satisfies Record<string, readonly Role[]>;

/** Something a role may or may not do in the dashboard. */
export type Ability = keyof typeof table;

/** True when `role` may do `ability`. */
export function can(role: Role | null | undefined, ability: Ability): boolean {
  return !!role && (table[ability] as readonly Role[]).includes(role);
}
