import { sql } from 'kysely';
import { authorize, type Actor } from '../auth/permissions.ts';
import type { Phase } from '../db/schema.ts';
import { isUuid, withTenant, type TenantTx } from '../db/tenant.ts';
import type { Deps } from '../deps.ts';
import { appError } from '../errors.ts';
import { decodeCursor, page } from '../http/paging.ts';
import { groupByMeaning, maxWordings } from './questions.ts';

/** What the inbox needs. */
export type InboxDeps = Pick<Deps, 'database' | 'audit'>;

/** Filters of the inbox list. */
export interface ConversationFilter {
  limit: number;
  cursor?: string | undefined;
  phase?: Phase | undefined;
  lead?: 'none' | 'new' | 'contacted' | 'closed' | undefined;
  maxConfidence?: number | undefined;
  from?: string | undefined;
  to?: string | undefined;
  q?: string | undefined;
}

/** Throws `site_not_found` unless the site is the tenant's. */
export async function siteOr404(tx: TenantTx, siteId: string): Promise<void> {
  const site = isUuid(siteId) ? await tx.selectFrom('sites').select('id').where('id', '=', siteId).executeTakeFirst() : undefined;
  if (!site) throw appError('site_not_found');
}

/** The site's conversations, newest first, filtered by phase, lead status, confidence, date and text. */
export async function listConversations(deps: InboxDeps, actor: Actor, siteId: string, f: ConversationFilter) {
  authorize(actor, 'conversation.read');
  const after = decodeCursor(f.cursor);
  const rows = await withTenant(deps.database.db, actor.tenantId, async (tx) => {
    await siteOr404(tx, siteId);
    let q = tx
      .selectFrom('conversations as c')
      .leftJoin('leads as l', 'l.conversation_id', 'c.id')
      .select([
        'c.id',
        'c.entry_page',
        'c.phase',
        'c.message_count',
        'c.last_confidence',
        'c.language',
        'c.created_at',
        'c.updated_at',
        'l.email as lead_email',
        'l.status as lead_status',
        (eb) => eb.selectFrom('messages as m').select('m.text').whereRef('m.conversation_id', '=', 'c.id').where('m.role', '=', 'user').orderBy('m.created_at').limit(1).as('first_question'),
      ])
      .where('c.site_id', '=', siteId)
      .orderBy('c.created_at', 'desc')
      .orderBy('c.id', 'desc')
      .limit(f.limit + 1);
    if (f.phase) q = q.where('c.phase', '=', f.phase);
    if (f.lead === 'none') q = q.where('l.id', 'is', null);
    else if (f.lead) q = q.where('l.status', '=', f.lead);
    if (f.maxConfidence !== undefined) q = q.where('c.last_confidence', '<=', f.maxConfidence);
    if (f.from) q = q.where('c.created_at', '>=', new Date(f.from));
    if (f.to) q = q.where('c.created_at', '<', new Date(f.to));
    if (f.q) {
      const like = `%${f.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
      q = q.where((eb) => eb.exists(eb.selectFrom('messages as m').select('m.id').whereRef('m.conversation_id', '=', 'c.id').where('m.text', 'ilike', like)));
    }
    if (after) q = q.where((eb) => eb.or([eb('c.created_at', '<', after.createdAt), eb.and([eb('c.created_at', '=', after.createdAt), eb('c.id', '<', after.id)])]));
    return q.execute();
  });
  return page(rows, f.limit, (r) => ({
    id: r.id,
    entryPage: r.entry_page,
    phase: r.phase,
    messageCount: r.message_count,
    confidence: r.last_confidence,
    language: r.language,
    firstQuestion: r.first_question ?? null,
    lead: r.lead_email ? { email: r.lead_email, status: r.lead_status } : null,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  }));
}

/** One conversation with its whole transcript (phase per message, sources and confidence per answer). */
export async function getConversation(deps: InboxDeps, actor: Actor, siteId: string, conversationId: string) {
  authorize(actor, 'conversation.read');
  return withTenant(deps.database.db, actor.tenantId, async (tx) => {
    await siteOr404(tx, siteId);
    const c = isUuid(conversationId) ? await tx.selectFrom('conversations').selectAll().where('id', '=', conversationId).where('site_id', '=', siteId).executeTakeFirst() : undefined;
    if (!c) throw appError('conversation_not_found');
    const messages = await tx.selectFrom('messages').selectAll().where('conversation_id', '=', c.id).orderBy('created_at').limit(1000).execute();
    const lead = await tx.selectFrom('leads').select(['id', 'email', 'status']).where('conversation_id', '=', c.id).executeTakeFirst();
    return {
      id: c.id,
      entryPage: c.entry_page,
      phase: c.phase,
      language: c.language,
      createdAt: c.created_at.toISOString(),
      lead: lead ? { id: lead.id, email: lead.email, status: lead.status } : null,
      messages: messages.map((m) => ({
        id: m.id,
        role: m.role,
        text: m.text,
        phase: m.phase,
        sources: m.sources,
        confidence: m.confidence,
        answered: m.answered,
        partial: m.partial,
        createdAt: m.created_at.toISOString(),
      })),
    };
  });
}

/** Deletes a conversation with its messages and lead. */
export async function deleteConversation(deps: InboxDeps, actor: Actor, siteId: string, conversationId: string, requestId: string): Promise<void> {
  authorize(actor, 'conversation.delete');
  await withTenant(deps.database.db, actor.tenantId, async (tx) => {
    await siteOr404(tx, siteId);
    const gone = isUuid(conversationId) ? await tx.deleteFrom('conversations').where('id', '=', conversationId).where('site_id', '=', siteId).returning('id').executeTakeFirst() : undefined;
    if (!gone) throw appError('conversation_not_found');
    await deps.audit.record(tx, { tenantId: actor.tenantId, actor: { type: 'user', id: actor.userId }, action: 'conversation.deleted', target: { type: 'conversation', id: gone.id }, requestId, metadata: { siteId } });
  });
}

/**
 * An answer below this confidence is a content gap even when it was given: the chat answers from
 * `lowConfidence` (0.35, server/chat/blocks/confidence.ts) up, so 0.35–0.5 are the weak answers.
 */
const lowConfidenceBelow = 0.5;

/** Counts for the insights page: per day, the phase funnel, top questions and content gaps (wordings of one question grouped). */
export async function insights(deps: InboxDeps, actor: Actor, siteId: string, days: number) {
  authorize(actor, 'analytics.read');
  const since = new Date(Date.now() - days * 86_400_000);
  return withTenant(deps.database.db, actor.tenantId, async (tx) => {
    await siteOr404(tx, siteId);
    const perDay = await tx
      .selectFrom('messages')
      .select([
        sql<string>`to_char(date_trunc('day', created_at), 'YYYY-MM-DD')`.as('day'),
        sql<number>`count(distinct conversation_id)::int`.as('conversations'),
        sql<number>`count(*)::int`.as('messages'),
      ])
      .where('site_id', '=', siteId)
      .where('created_at', '>=', since)
      .groupBy(sql`1`)
      .orderBy(sql`1`)
      .execute();
    const funnel = await tx
      .selectFrom('conversations')
      .select(['phase', sql<number>`count(*)::int`.as('count')])
      .where('site_id', '=', siteId)
      .where('created_at', '>=', since)
      .groupBy('phase')
      .execute();
    const leads = await tx.selectFrom('leads').select(sql<number>`count(*)::int`.as('n')).where('site_id', '=', siteId).where('created_at', '>=', since).executeTakeFirstOrThrow();
    // A question is the visitor message just before an assistant answer, in its normalized text.
    const answered = tx
      .selectFrom('messages as a')
      .innerJoinLateral(
        (eb) => eb.selectFrom('messages as u').select('u.text').whereRef('u.conversation_id', '=', 'a.conversation_id').where('u.role', '=', 'user').whereRef('u.created_at', '<=', 'a.created_at').orderBy('u.created_at', 'desc').limit(1).as('q'),
        (join) => join.onTrue(),
      )
      .select([sql<string>`lower(regexp_replace(trim(q.text), '\\s+', ' ', 'g'))`.as('question'), 'a.confidence', 'a.answered'])
      .where('a.site_id', '=', siteId)
      .where('a.role', '=', 'assistant')
      .where('a.created_at', '>=', since)
      .as('t');
    // Exact wordings first (the most asked `maxWordings`), then wordings of the same question together.
    const wordings = (gapsOnly: boolean) =>
      tx
        .selectFrom(answered)
        .select(['t.question', sql<number>`count(*)::int`.as('count'), sql<number | null>`avg(t.confidence)::real`.as('confidence')])
        .$if(gapsOnly, (qb) => qb.where((eb) => eb.or([eb('t.answered', '=', false), eb('t.confidence', '<', lowConfidenceBelow)])))
        .groupBy('t.question')
        .orderBy('count', 'desc')
        .orderBy('t.question')
        .limit(maxWordings)
        .execute();
    const top = (await groupByMeaning(await wordings(false))).slice(0, 20);
    const gaps = (await groupByMeaning(await wordings(true))).slice(0, 50);
    return { days, perDay, funnel, leads: leads.n, topQuestions: top, contentGaps: gaps };
  });
}
