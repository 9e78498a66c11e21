import type { Role } from '../db/schema.ts';
import { appError } from '../errors.ts';

const everyone: readonly Role[] = ['owner', 'admin', 'member'];
const managers: readonly Role[] = ['owner', 'admin'];
const owners: readonly Role[] = ['owner'];

/** The one permission table: action → roles allowed. Services check it first thing. */
export const permissions = {
  'tenant.read': everyone,
  'tenant.update': managers,
  'tenant.tier': owners,
  'tenant.budget': owners,
  'tenant.delete': owners,
  'tenant.export': owners,
  'member.read': everyone,
  'member.invite': managers,
  'member.update': managers,
  'member.remove': managers,
  'member.manage_owners': owners,
  'site.read': everyone,
  'site.create': managers,
  'site.update': managers,
  'site.delete': managers,
  'site.rotate_key': managers,
  'knowledge.read': everyone,
  'knowledge.manage': managers,
  'conversation.read': everyone,
  'conversation.delete': managers,
  'lead.read': everyone,
  'lead.update': managers,
  'lead.export': managers,
  'analytics.read': everyone,
  'usage.read': everyone,
  'audit.read': managers,
} as const satisfies Record<string, readonly Role[]>;

/** An action someone may try. */
export type Action = keyof typeof permissions;

/** The signed-in user acting in one tenant. */
export interface Actor {
  userId: string;
  tenantId: string;
  role: Role;
  sessionId: string;
}

/** True when `role` may do `action`. */
export function can(role: Role, action: Action): boolean {
  return (permissions[action] as readonly Role[]).includes(role);
}

/** Throws `forbidden` unless the actor's role may do `action`. */
export function authorize(actor: Actor, action: Action): void {
  if (!can(actor.role, action)) throw appError('forbidden', `Your role (${actor.role}) cannot do this.`);
}
