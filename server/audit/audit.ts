import type { Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { DB } from '../db/schema.ts';
import { afterCommit } from '../db/tenant.ts';

/** Who did it. */
export type Actor = { type: 'user'; id: string } | { type: 'system'; id?: string } | { type: 'anonymous'; id?: string };

/** One audit event: time is set by the database. Metadata must never hold tokens or secrets. */
export interface AuditEvent {
  tenantId: string | null;
  actor: Actor;
  action: string;
  target?: { type: string; id: string };
  requestId?: string;
  metadata?: Record<string, unknown>;
}

/** Records audit events in `audit_events` (same transaction as the change) and, after commit, in the audit stream. */
export interface Audit {
  record(tx: Transaction<DB>, event: AuditEvent): Promise<void>;
}

/** The audit recorder writing its JSON lines to `stream` (a dedicated pino logger). */
export function createAudit(stream: Logger): Audit {
  return {
    async record(tx, event) {
      const row = await tx
        .insertInto('audit_events')
        .values({
          tenant_id: event.tenantId,
          actor_type: event.actor.type,
          actor_id: event.actor.id ?? null,
          action: event.action,
          target_type: event.target?.type ?? null,
          target_id: event.target?.id ?? null,
          request_id: event.requestId ?? null,
          metadata: JSON.stringify(event.metadata ?? {}),
        })
        .returning(['id', 'occurred_at'])
        .executeTakeFirstOrThrow();
      afterCommit(tx, () =>
        stream.info(
          {
            audit: {
              id: row.id,
              time: row.occurred_at.toISOString(),
              tenantId: event.tenantId,
              actor: event.actor,
              action: event.action,
              target: event.target ?? null,
              requestId: event.requestId ?? null,
              metadata: event.metadata ?? {},
            },
          },
          event.action,
        ),
      );
    },
  };
}
