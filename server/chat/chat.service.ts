import type { ChatEvent, CitedSource, Phase } from '../../contracts/widget.ts';
import { withTenant } from '../db/tenant.ts';
import type { Deps } from '../deps.ts';
import { appError } from '../errors.ts';
import { hybridSearch, type SearchHit } from '../knowledge/retrieval.ts';
import type { LlmEvent } from '../platform/llm/types.ts';
import type { WidgetSite } from '../widget/site.system.ts';
import { reserveBudget, settleBudget, type Reservation } from './budget.ts';
import { calibrationFor, confidenceFrom, lowConfidence } from './blocks/confidence.ts';
import { nextPhase } from './blocks/phase.ts';
import { buildPrompt, createCanaryFilter } from './blocks/prompt.ts';
import { redactPii } from './blocks/redact.ts';
import { cannedText } from './messages.ts';
import { newSecret } from '../auth/tokens.ts';
import { tiers } from '../tenants/tiers.ts';
import { meterEmbedding } from '../knowledge/metering.ts';

/** What the chat needs. */
export type ChatDeps = Pick<Deps, 'config' | 'database' | 'state' | 'embedder' | 'llm' | 'audit' | 'logger'>;

/** One visitor message to answer. */
export interface ChatInput {
  site: WidgetSite;
  visitorId: string;
  ip: string;
  message: string;
  conversationId?: string | undefined;
  pageUrl?: string | undefined;
  language?: string | undefined;
  signal: AbortSignal;
}

const passagesForPrompt = 5;
const historyTurns = 8;
const promptTokenReserve = 6_000;

/** Per-visitor and per-site limits, checked before the stream opens (so they answer 429). */
export async function checkChatLimits(deps: ChatDeps, input: Pick<ChatInput, 'site' | 'visitorId' | 'ip' | 'conversationId'>): Promise<void> {
  const { chat } = deps.config;
  const checks: [string, { max: number; windowMs: number }][] = [
    [`chat:visitor:${input.visitorId}`, chat.perVisitor],
    [`chat:site:${input.site.id}`, chat.perSite],
  ];
  if (!input.conversationId) checks.push([`chat:newconv:${input.ip}`, chat.newConversationsPerIp]);
  for (const [key, { max, windowMs }] of checks) {
    const hit = await deps.state.hit(key, max, windowMs);
    if (!hit.allowed) throw appError('rate_limited', undefined, undefined, { 'retry-after': String(Math.max(1, Math.ceil(hit.retryAfterMs / 1000))) });
  }
}

/** Holds one of the site's concurrent stream slots; the returned function frees it. */
export async function takeStreamSlot(deps: ChatDeps, siteId: string): Promise<() => Promise<void>> {
  const key = `chat:streams:${siteId}`;
  const now = await deps.state.incr(key, 1, 15 * 60_000);
  const free = async () => void (await deps.state.incr(key, -1, 15 * 60_000).catch(() => 0));
  if (now > deps.config.chat.maxStreamsPerSite) {
    await free();
    throw appError('rate_limited', 'Too many conversations are running on this site right now. Try again in a moment.', undefined, { 'retry-after': '5' });
  }
  return free;
}

/** Opens (or continues) the visitor's conversation and stores the visitor's message; returns the phase. */
async function recordQuestion(deps: ChatDeps, input: ChatInput) {
  const { site } = input;
  return withTenant(deps.database.db, site.tenantId, async (tx) => {
    let conversation = input.conversationId
      ? await tx.selectFrom('conversations').selectAll().where('id', '=', input.conversationId).where('visitor_id', '=', input.visitorId).where('site_id', '=', site.id).executeTakeFirst()
      : undefined;
    // Another visitor's (or site's) conversation is simply not found.
    if (input.conversationId && !conversation) throw appError('conversation_not_found');
    conversation ??= await tx
      .insertInto('conversations')
      .values({ tenant_id: site.tenantId, site_id: site.id, visitor_id: input.visitorId, entry_page: input.pageUrl ?? null, language: input.language ?? null })
      .returningAll()
      .executeTakeFirstOrThrow();
    const turn = await tx
      .selectFrom('messages')
      .select(['role', 'text'])
      .where('conversation_id', '=', conversation.id)
      .orderBy('created_at', 'desc')
      .limit(historyTurns)
      .execute();
    const next = nextPhase(conversation.phase, input.message, conversation.message_count);
    await tx.insertInto('messages').values({ tenant_id: site.tenantId, site_id: site.id, conversation_id: conversation.id, role: 'user', text: input.message, phase: next.phase }).execute();
    await tx
      .updateTable('conversations')
      .set({ phase: next.phase, message_count: conversation.message_count + 1, updated_at: new Date(), ...(input.language && !conversation.language ? { language: input.language } : {}) })
      .where('id', '=', conversation.id)
      .execute();
    const lead = await tx.selectFrom('leads').select('id').where('conversation_id', '=', conversation.id).executeTakeFirst();
    return { conversation, history: turn.reverse(), phase: next.phase, wantsContact: next.wantsContact || next.wantsSummary, hasEmail: Boolean(lead) };
  });
}

/** Retrieval for the question, with the conversation's entry page as context (its passages rank a little higher). */
async function retrieve(deps: ChatDeps, site: WidgetSite, question: string, entryPage: string | null): Promise<SearchHit[]> {
  const { vectors, usage } = await deps.embedder.embed([question], { purpose: 'query' });
  const hits = await withTenant(deps.database.db, site.tenantId, async (tx) => {
    await meterEmbedding(tx, site.tenantId, site.id, deps.embedder.model, usage);
    return hybridSearch(tx, { id: site.id, languages: site.settings.languages, chunkCount: site.chunkCount }, { text: question, vector: vectors[0]! }, { limit: 8 });
  });
  if (entryPage) for (const h of hits) if (h.url === entryPage) h.score += 1 / 120;
  return hits.sort((a, b) => b.score - a.score);
}

function cost(deps: ChatDeps, inputTokens: number, outputTokens: number): number {
  if (deps.llm.provider === 'offline') return 0;
  const p = deps.config.llmPrices;
  return (inputTokens * p.inputPerMTok + outputTokens * p.outputPerMTok) / 1_000_000;
}

/**
 * Answers one visitor message as a stream of chat events, in the order the design gives:
 * budget → store the question → redact → retrieve → confidence and phase → prompt → stream →
 * store the answer (partial when the stream breaks) → meter and settle.
 */
export async function* answer(deps: ChatDeps, input: ChatInput): AsyncGenerator<ChatEvent> {
  const { site } = input;
  const language = input.language ?? null;
  const capture = site.settings.emailCapture;
  const maxOut = deps.config.chat.maxOutputTokens;
  const capUsd = site.dailyBudgetUsd ?? tiers[site.tier].limits.dailyBudgetUsd;

  const held: { reservation: Reservation | null; spentUsd: number } = { reservation: null, spentUsd: 0 };
  if (deps.llm.provider !== 'offline') {
    held.reservation = await reserveBudget(deps.state, deps.database.db, site.tenantId, capUsd, cost(deps, promptTokenReserve, maxOut));
  }
  // Whatever happens from here on (an unknown conversation, a broken stream), the reservation is settled.
  try {
    yield* answerWithin(deps, input, held, { language, capture, maxOut, capUsd, overBudget: deps.llm.provider !== 'offline' && !held.reservation });
  } finally {
    if (held.reservation) await settleBudget(deps.state, held.reservation, held.spentUsd).catch(() => {});
  }
}

async function* answerWithin(
  deps: ChatDeps,
  input: ChatInput,
  held: { reservation: Reservation | null; spentUsd: number },
  o: { language: string | null; capture: 'off' | 'on_request' | 'after_first_answer'; maxOut: number; capUsd: number; overBudget: boolean },
): AsyncGenerator<ChatEvent> {
  const { site } = input;
  const { language, capture, maxOut, capUsd, overBudget } = o;
  const q = await recordQuestion(deps, input);
  const conversationId = q.conversation.id;
  const askEmail = capture !== 'off' && !q.hasEmail && (q.wantsContact || overBudget);
  yield { type: 'phase', conversationId, phase: q.phase, askEmail };

  const store = (text: string, extra: { sources?: CitedSource[]; confidence?: number; answered: boolean; partial?: boolean; inputTokens?: number; outputTokens?: number; model?: string }) =>
    withTenant(deps.database.db, site.tenantId, async (tx) => {
      const m = await tx
        .insertInto('messages')
        .values({
          tenant_id: site.tenantId,
          site_id: site.id,
          conversation_id: conversationId,
          role: 'assistant',
          text,
          sources: JSON.stringify(extra.sources ?? []),
          confidence: extra.confidence ?? null,
          answered: extra.answered,
          partial: extra.partial ?? false,
          phase: q.phase,
          model: extra.model ?? null,
          input_tokens: extra.inputTokens ?? 0,
          output_tokens: extra.outputTokens ?? 0,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await tx
        .updateTable('conversations')
        .set((eb) => ({ message_count: eb('message_count', '+', 1), last_confidence: extra.confidence ?? null, updated_at: new Date() }))
        .where('id', '=', conversationId)
        .execute();
      if (extra.inputTokens || extra.outputTokens) {
        await tx
          .insertInto('ai_usage')
          .values({ tenant_id: site.tenantId, site_id: site.id, purpose: 'chat', provider: deps.llm.provider, model: deps.llm.model, input_tokens: extra.inputTokens ?? 0, output_tokens: extra.outputTokens ?? 0, cost_usd: String(cost(deps, extra.inputTokens ?? 0, extra.outputTokens ?? 0)) })
          .execute();
      }
      return m.id;
    });

  if (overBudget) {
    await withTenant(deps.database.db, site.tenantId, (tx) =>
      deps.audit.record(tx, { tenantId: site.tenantId, actor: { type: 'system' }, action: 'budget.exceeded', target: { type: 'site', id: site.id }, metadata: { capUsd } }),
    );
    const text = cannedText('overBudget', language);
    yield { type: 'token', text };
    const messageId = await store(text, { answered: false, confidence: 0 });
    yield { type: 'done', conversationId, messageId, confidence: 0, answered: false };
    return;
  }

  {
    const safeQuestion = redactPii(input.message).text;
    const hits = await retrieve(deps, site, safeQuestion, q.conversation.entry_page);
    const confidence = confidenceFrom(hits, calibrationFor(deps.embedder.model));
    if (confidence < lowConfidence || hits.length === 0) {
      const text = cannedText('noAnswer', language);
      yield { type: 'token', text };
      const messageId = await store(text, { answered: false, confidence });
      if (capture !== 'off' && !q.hasEmail && !askEmail) yield { type: 'phase', conversationId, phase: q.phase, askEmail: true };
      yield { type: 'done', conversationId, messageId, confidence, answered: false };
      return;
    }
    const passages = hits.slice(0, passagesForPrompt).map((h, i) => ({ n: i + 1, title: h.title, url: h.url, text: h.text, page: h.page }));
    const canary = newSecret();
    const messages = buildPrompt({
      persona: site.settings.persona,
      siteName: site.name,
      language: language ?? site.settings.languages[0] ?? 'en',
      phase: q.phase,
      passages,
      history: q.history.map((m) => ({ role: m.role, content: redactPii(m.text).text })),
      question: safeQuestion,
      maxHistoryTokens: 1_500,
      canary,
    });
    const filter = createCanaryFilter(canary, { language: language ?? undefined });
    let text = '';
    let usage = { inputTokens: 0, outputTokens: 0 };
    let partial = false;
    try {
      for await (const ev of deps.llm.stream({ messages, maxTokens: maxOut, temperature: 0.2, signal: input.signal, passages, language: language ?? undefined }) as AsyncIterable<LlmEvent>) {
        if (ev.type === 'usage') {
          usage = { inputTokens: ev.inputTokens, outputTokens: ev.outputTokens };
          continue;
        }
        const safe = filter.push(ev.text);
        if (safe) {
          text += safe;
          yield { type: 'token', text: safe };
        }
        // The model tried to reveal its instructions: stop reading it.
        if (filter.tripped) break;
      }
    } catch (err) {
      partial = true;
      deps.logger.warn({ err: (err as Error).message, conversationId }, 'answer stream broke');
    }
    // What the filter still holds back belongs to the answer, complete or partial.
    const rest = filter.end();
    if (rest) {
      text += rest;
      if (!input.signal.aborted) yield { type: 'token', text: rest };
    }
    if (partial && !usage.outputTokens) usage = { inputTokens: Math.ceil(messages.reduce((n, m) => n + m.content.length, 0) / 4), outputTokens: Math.ceil(text.length / 4) };
    const cited = new Set([...text.matchAll(/\[(\d{1,2})\]/g)].map((m) => Number(m[1])));
    const sources: CitedSource[] = passages
      .filter((p) => cited.size === 0 ? p.n <= 3 : cited.has(p.n))
      .map((p) => ({ n: p.n, title: p.title, url: p.url.startsWith('upload:') ? null : p.url, page: p.page }));
    if (text) yield { type: 'sources', sources };
    const messageId = await store(partial && !text ? cannedText('failed', language) : text, { sources, confidence, answered: !partial, partial, ...usage, model: deps.llm.model });
    held.spentUsd = cost(deps, usage.inputTokens, usage.outputTokens);
    if (held.reservation) await settleBudget(deps.state, held.reservation, held.spentUsd);
    held.reservation = null;
    if (partial && !input.signal.aborted) {
      yield { type: 'error', code: 'llm_failed', message: cannedText('failed', language) };
      return;
    }
    if (capture === 'after_first_answer' && !q.hasEmail && !askEmail) yield { type: 'phase', conversationId, phase: q.phase, askEmail: true };
    yield { type: 'done', conversationId, messageId, confidence, answered: true };
  }
}
