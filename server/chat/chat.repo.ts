import { sql } from 'kysely';
import type { Phase } from '../../contracts/widget.ts';
import type { TenantTx } from '../db/tenant.ts';

// The chat's SQL: each function is ONE statement (data-modifying CTEs), because every statement on
// the first-token path is a turn on PGlite's single connection or a round trip to PostgreSQL.

/** The conversation a visitor's message lands in, as the prompt needs it. */
export interface Turn {
  conversationId: string;
  entryPage: string | null;
  /** The phase after this message (also stored with it). */
  phase: Phase;
  /** The last turns before this message, oldest first. */
  history: { role: 'user' | 'assistant'; text: string }[];
  hasEmail: boolean;
}

/** What `openTurn` stores and checks. */
export interface TurnInput {
  tenantId: string;
  siteId: string;
  visitorId: string;
  /** Absent: a new conversation. Present: it must be this visitor's, on this site. */
  conversationId: string | null;
  message: string;
  pageUrl: string | null;
  language: string | null;
  /** The phase the message alone points to in a conversation's first two turns, and afterwards (see `nextPhase`). */
  phaseEarly: Phase;
  phaseLater: Phase;
  /** The message count from which `phaseLater` applies. */
  laterFrom: number;
  historyTurns: number;
}

const phases = sql`array['exploring', 'learning', 'requesting_contact']::text[]`;

/**
 * In one statement: finds the visitor's conversation (scoped by visitor and site; RLS scopes the
 * tenant) or opens a new one, stores the message with the phase it moves the conversation to
 * (never backwards), counts it, and returns the history before it and whether a lead exists.
 * Null when `conversationId` is not this visitor's conversation on this site (nothing is written).
 */
export async function openTurn(tx: TenantTx, t: TurnInput): Promise<Turn | null> {
  const rank = (phase: unknown) => sql`array_position(${phases}, ${phase})`;
  const { rows } = await sql<{ id: string; entry_page: string | null; phase: Phase; history: Turn['history']; has_email: boolean }>`
    with found as (
      select c.id, c.entry_page,
        (${phases})[greatest(${rank(sql`c.phase`)}, ${rank(sql`case when c.message_count >= ${t.laterFrom}::int then ${t.phaseLater}::text else ${t.phaseEarly}::text end`)})] as phase
      from conversations c
      where c.id = ${t.conversationId}::uuid and c.visitor_id = ${t.visitorId}::uuid and c.site_id = ${t.siteId}::uuid
    ),
    created as (
      insert into conversations (tenant_id, site_id, visitor_id, entry_page, language, phase, message_count)
      select ${t.tenantId}::uuid, ${t.siteId}::uuid, ${t.visitorId}::uuid, ${t.pageUrl}::text, ${t.language}::text, ${t.phaseEarly}::text, 1
      where ${t.conversationId}::uuid is null
      returning id, entry_page, phase
    ),
    turn as (select * from found union all select * from created),
    question as (
      insert into messages (tenant_id, site_id, conversation_id, role, text, phase)
      select ${t.tenantId}::uuid, ${t.siteId}::uuid, turn.id, 'user', ${t.message}::text, turn.phase from turn
    ),
    moved as (
      update conversations c
      set phase = found.phase, message_count = c.message_count + 1, updated_at = now(), language = coalesce(c.language, ${t.language}::text)
      from found where c.id = found.id
    )
    select turn.id, turn.entry_page, turn.phase,
      coalesce((
        select json_agg(json_build_object('role', h.role, 'text', h.text) order by h.created_at)
        from (select m.role, m.text, m.created_at from messages m where m.conversation_id = turn.id order by m.created_at desc limit ${t.historyTurns}) h
      ), '[]'::json) as history,
      exists (select 1 from leads l where l.conversation_id = turn.id) as has_email
    from turn`.execute(tx);
  const row = rows[0];
  if (!row) return null;
  return { conversationId: row.id, entryPage: row.entry_page, phase: row.phase, history: row.history, hasEmail: row.has_email };
}

/** One assistant message to store, and the model call it cost (none: no usage row). */
export interface AnswerRow {
  tenantId: string;
  siteId: string;
  conversationId: string;
  text: string;
  sources: unknown[];
  confidence: number | null;
  answered: boolean;
  partial: boolean;
  phase: Phase;
  model: string | null;
  inputTokens: number;
  outputTokens: number;
  usage: { provider: string; model: string; costUsd: number } | null;
}

/** In one statement: stores the answer, counts it on the conversation and meters the call; returns the message id. */
export async function storeAnswer(tx: TenantTx, a: AnswerRow): Promise<string> {
  const metered = a.usage !== null && (a.inputTokens > 0 || a.outputTokens > 0);
  const { rows } = await sql<{ id: string }>`
    with answer as (
      insert into messages (tenant_id, site_id, conversation_id, role, text, sources, confidence, answered, partial, phase, model, input_tokens, output_tokens)
      values (${a.tenantId}::uuid, ${a.siteId}::uuid, ${a.conversationId}::uuid, 'assistant', ${a.text}::text, ${JSON.stringify(a.sources)}::jsonb, ${a.confidence}::real,
        ${a.answered}::boolean, ${a.partial}::boolean, ${a.phase}::text, ${a.model}::text, ${a.inputTokens}::int, ${a.outputTokens}::int)
      returning id
    ),
    counted as (
      update conversations set message_count = message_count + 1, last_confidence = ${a.confidence}::real, updated_at = now()
      where id = ${a.conversationId}::uuid
    ),
    metered as (
      insert into ai_usage (tenant_id, site_id, purpose, provider, model, input_tokens, output_tokens, cost_usd)
      select ${a.tenantId}::uuid, ${a.siteId}::uuid, 'chat', ${a.usage?.provider ?? ''}::text, ${a.usage?.model ?? ''}::text, ${a.inputTokens}::int, ${a.outputTokens}::int, ${String(a.usage?.costUsd ?? 0)}::numeric
      where ${metered}::boolean
    )
    select id from answer`.execute(tx);
  return rows[0]!.id;
}
