import type { ChatEvent, CitedSource, Phase } from '../../contracts/widget.ts';
import { withTenant, type TenantTx } from '../db/tenant.ts';
import type { Deps } from '../deps.ts';
import { AppError, appError } from '../errors.ts';
import { hybridSearch, type SearchHit } from '../knowledge/retrieval.ts';
import type { LlmEvent } from '../platform/llm/types.ts';
import type { WidgetSite } from '../widget/site.system.ts';
import { budgetReservation, reservationOf, reserveBudget, settleBudget, type Reservation } from './budget.ts';
import { calibrationFor, confidenceFrom, lowConfidence } from './blocks/confidence.ts';
import { nextPhase, substantiveFromTurn } from './blocks/phase.ts';
import { openTurn, storeAnswer, type AnswerRow, type Turn } from './chat.repo.ts';
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
  /** The reservation `admitMessage` made (null: over the cap); undefined: reserved here. */
  reservation?: Reservation | null | undefined;
}

const passagesForPrompt = 5;
const historyTurns = 8;
const promptTokenReserve = 6_000;

/** A message let through by `admitMessage`: its stream slot, and its budget reservation when one was made. */
export interface Admitted {
  /** Made with the limits; null when over today's cap; undefined when `answer` makes it (offline model: none; a day's first message seeds the counter). */
  reservation: Reservation | null | undefined;
  /** Frees the site's stream slot. */
  free(): Promise<void>;
}

const capOf = (site: WidgetSite) => site.dailyBudgetUsd ?? tiers[site.tier].limits.dailyBudgetUsd;
const rateLimited = (retryAfterSeconds: number, message?: string) => appError('rate_limited', message, undefined, { 'retry-after': String(retryAfterSeconds) });

/**
 * Admits one message before the stream opens (so refusals answer 429), in one state-store call:
 * the per-visitor, per-site and new-conversation-per-IP windows, one of the site's concurrent
 * stream slots, and the reservation of the call's worst-case cost against the tenant's daily cap.
 */
export async function admitMessage(deps: ChatDeps, input: Pick<ChatInput, 'site' | 'visitorId' | 'ip' | 'conversationId'>): Promise<Admitted> {
  const { chat } = deps.config;
  const { site } = input;
  const windows = [
    { key: `chat:visitor:${input.visitorId}`, limit: chat.perVisitor.max, windowMs: chat.perVisitor.windowMs },
    { key: `chat:site:${site.id}`, limit: chat.perSite.max, windowMs: chat.perSite.windowMs },
  ];
  if (!input.conversationId) windows.push({ key: `chat:newconv:${input.ip}`, limit: chat.newConversationsPerIp.max, windowMs: chat.newConversationsPerIp.windowMs });
  const slot = { key: `chat:streams:${site.id}`, max: chat.maxStreamsPerSite, ttlMs: 15 * 60_000 };
  const reserve = deps.llm.provider === 'offline' ? undefined : budgetReservation(site.tenantId, capOf(site), cost(deps, promptTokenReserve, chat.maxOutputTokens));
  const result = await deps.state.admit({ windows, slot, ...(reserve ? { reserve } : {}) });
  if (!result.admitted) {
    if (result.refused === 'slot') throw rateLimited(5, 'Too many conversations are running on this site right now. Try again in a moment.');
    throw rateLimited(Math.max(1, Math.ceil(result.retryAfterMs / 1000)));
  }
  const reservation = reserve && result.reserved === 'taken' ? reservationOf(reserve) : result.reserved === 'over' ? null : undefined;
  const free = async () => void (await deps.state.incr(slot.key, -1, slot.ttlMs).catch(() => 0));
  return { reservation, free };
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
  const capUsd = capOf(site);

  const held: { reservation: Reservation | null; spentUsd: number } = { reservation: input.reservation ?? null, spentUsd: 0 };
  if (deps.llm.provider !== 'offline' && input.reservation === undefined) {
    held.reservation = await reserveBudget(deps.state, deps.database.db, site.tenantId, capUsd, cost(deps, promptTokenReserve, maxOut));
  }
  // Whatever happens from here on (an unknown conversation, a broken stream), the reservation is settled.
  try {
    yield* answerWithin(deps, input, held, { language, capture, maxOut, capUsd, overBudget: deps.llm.provider !== 'offline' && !held.reservation });
  } finally {
    if (held.reservation) await settleBudget(deps.state, held.reservation, held.spentUsd).catch(() => {});
  }
}


type Held = { reservation: Reservation | null; spentUsd: number };
type Options = { language: string | null; capture: 'off' | 'on_request' | 'after_first_answer'; maxOut: number; capUsd: number; overBudget: boolean };

/** What `prepare` found, available before its transaction has committed; `committed` settles with the commit. */
interface Prepared {
  turn: Turn;
  hits: SearchHit[];
  committed: Promise<unknown>;
}

/**
 * Everything that must precede the model call, in ONE tenant transaction: the conversation check
 * (or a new one), the question stored and the phase moved (one statement), and hybrid retrieval.
 * The question is embedded first: that may be a network call, and no transaction waits on one.
 * Resolves as soon as the transaction's work is done, while its COMMIT is still on the way: the
 * caller may start the model call meanwhile (its first token takes far longer than a commit) but
 * tells the visitor nothing before `committed` has resolved.
 */
async function prepare(deps: ChatDeps, input: ChatInput, safeQuestion: string, overBudget: boolean): Promise<Prepared> {
  const { site } = input;
  const embedded = overBudget ? null : await deps.embedder.embed([safeQuestion], { purpose: 'query' });
  const meter = (tx: TenantTx) => (embedded ? meterEmbedding(tx, site.tenantId, site.id, deps.embedder.model, embedded.usage) : Promise.resolve());
  let done!: (found: { turn: Turn; hits: SearchHit[] }) => void;
  const found = new Promise<{ turn: Turn; hits: SearchHit[] }>((resolve) => (done = resolve));
  try {
    const committed = withTenant(deps.database.db, site.tenantId, async (tx) => {
      const turn = await openTurn(tx, {
        tenantId: site.tenantId,
        siteId: site.id,
        visitorId: input.visitorId,
        conversationId: input.conversationId ?? null,
        message: input.message,
        pageUrl: input.pageUrl ?? null,
        language: input.language ?? null,
        phaseEarly: nextPhase('exploring', input.message, 0).phase,
        phaseLater: nextPhase('exploring', input.message, substantiveFromTurn).phase,
        laterFrom: substantiveFromTurn,
        historyTurns,
      });
      // Another visitor's (or site's) conversation is simply not found.
      if (!turn) throw appError('conversation_not_found');
      if (!embedded) return done({ turn, hits: [] });
      await meter(tx);
      const hits = await hybridSearch(tx, { id: site.id, languages: site.settings.languages, chunkCount: site.chunkCount }, { text: safeQuestion, vector: embedded.vectors[0]!, model: deps.embedder.model }, { limit: 8, aside: { database: deps.database, tenantId: site.tenantId } });
      // The conversation's entry page as context: its passages rank a little higher.
      if (turn.entryPage) for (const h of hits) if (h.url === turn.entryPage) h.score += 1 / 120;
      done({ turn, hits: hits.sort((a, b) => b.score - a.score) });
    });
    // A failure before the work was done rejects here; a failed COMMIT rejects `committed` later.
    committed.catch(() => {});
    return { ...(await Promise.race([found, committed.then(() => found)])), committed };
  } catch (err) {
    // A refused conversation rolled the metering back, but the embedding was paid for.
    if (embedded && err instanceof AppError && err.code === 'conversation_not_found') await withTenant(deps.database.db, site.tenantId, meter).catch(() => {});
    throw err;
  }
}

/** The prompt for one answer; only what the answer needs afterwards (citations) outlives it. */
function promptFor(deps: ChatDeps, input: ChatInput, turn: Turn, hits: SearchHit[], safeQuestion: string, language: string | null) {
  const { site } = input;
  const passages = hits.slice(0, passagesForPrompt).map((h, i) => ({ n: i + 1, title: h.title, url: h.url, text: h.text, page: h.page }));
  const canary = newSecret();
  const messages = buildPrompt({
    persona: site.settings.persona,
    siteName: site.name,
    language: language ?? site.settings.languages[0] ?? 'en',
    phase: turn.phase,
    passages,
    history: turn.history.map((m) => ({ role: m.role, content: redactPii(m.text).text })),
    question: safeQuestion,
    maxHistoryTokens: 1_500,
    canary,
  });
  return {
    messages,
    // The provider model reads the passages from the system prompt; only the offline answerer quotes them.
    passages: deps.llm.provider === 'offline' ? passages : undefined,
    canary,
    promptChars: messages.reduce((n, m) => n + m.content.length, 0),
    cites: passages.map((p) => ({ n: p.n, title: p.title, url: p.url, page: p.page })),
  };
}

/** Sends the prompt to the model and asks for its first event: the call is under way on return. */
function startModel(deps: ChatDeps, prompt: ReturnType<typeof promptFor>, o: { maxOut: number; language: string | null; signal: AbortSignal }) {
  const request = { messages: prompt.messages, maxTokens: o.maxOut, temperature: 0.2, signal: o.signal, passages: prompt.passages, language: o.language ?? undefined };
  const stream = (deps.llm.stream(request) as AsyncIterable<LlmEvent>)[Symbol.asyncIterator]();
  const first = stream.next();
  // Read by the caller, or dropped after a failed commit.
  first.catch(() => {});
  return { prompt, stream, first };
}

async function* answerWithin(deps: ChatDeps, input: ChatInput, held: Held, o: Options): AsyncGenerator<ChatEvent> {
  const { site } = input;
  const { language, capture, maxOut, capUsd, overBudget } = o;
  const safeQuestion = redactPii(input.message).text;
  const { turn, hits, committed } = await prepare(deps, input, safeQuestion, overBudget);
  const confidence = overBudget ? 0 : confidenceFrom(hits, calibrationFor(deps.embedder.model));
  const answering = !overBudget && confidence >= lowConfidence && hits.length > 0;
  // The model call starts while the question's transaction commits; nothing reaches the visitor
  // before the commit has succeeded, and a failed commit stops the call.
  const stopModel = new AbortController();
  const model = answering ? startModel(deps, promptFor(deps, input, turn, hits.slice(0, passagesForPrompt), safeQuestion, language), { maxOut, language, signal: AbortSignal.any([input.signal, stopModel.signal]) }) : null;
  try {
    await committed;
  } catch (err) {
    stopModel.abort();
    throw err;
  }
  const { wantsContact, wantsSummary } = nextPhase('exploring', input.message, 0);
  const { conversationId } = turn;
  const askEmail = capture !== 'off' && !turn.hasEmail && (wantsContact || wantsSummary || overBudget);
  yield { type: 'phase', conversationId, phase: turn.phase, askEmail };

  const row = (text: string, extra: { sources?: CitedSource[]; confidence: number; answered: boolean; partial?: boolean; inputTokens?: number; outputTokens?: number; model?: string }): AnswerRow => ({
    tenantId: site.tenantId,
    siteId: site.id,
    conversationId,
    text,
    sources: extra.sources ?? [],
    confidence: extra.confidence,
    answered: extra.answered,
    partial: extra.partial ?? false,
    phase: turn.phase,
    model: extra.model ?? null,
    inputTokens: extra.inputTokens ?? 0,
    outputTokens: extra.outputTokens ?? 0,
    usage: { provider: deps.llm.provider, model: deps.llm.model, costUsd: cost(deps, extra.inputTokens ?? 0, extra.outputTokens ?? 0) },
  });
  const store = (r: AnswerRow) => withTenant(deps.database.db, site.tenantId, (tx) => storeAnswer(tx, r));

  if (overBudget) {
    const text = cannedText('overBudget', language);
    yield { type: 'token', text };
    // The cap hit is audited in the same transaction as the reply is stored, after the visitor has it.
    const messageId = await withTenant(deps.database.db, site.tenantId, async (tx) => {
      await deps.audit.record(tx, { tenantId: site.tenantId, actor: { type: 'system' }, action: 'budget.exceeded', target: { type: 'site', id: site.id }, metadata: { capUsd } });
      return storeAnswer(tx, row(text, { answered: false, confidence: 0 }));
    });
    yield { type: 'done', conversationId, messageId, confidence: 0, answered: false };
    return;
  }

  if (!model) {
    const text = cannedText('noAnswer', language);
    yield { type: 'token', text };
    const messageId = await store(row(text, { answered: false, confidence }));
    if (capture !== 'off' && !turn.hasEmail && !askEmail) yield { type: 'phase', conversationId, phase: turn.phase, askEmail: true };
    yield { type: 'done', conversationId, messageId, confidence, answered: false };
    return;
  }
  // The prompt holds its own (redacted) copies now; a stream that waits on the model keeps no second one.
  hits.length = 0;
  turn.history = [];
  const { prompt, stream, first } = model;
  const { cites, promptChars } = prompt;
  const filter = createCanaryFilter(prompt.canary, { language: language ?? undefined });
  let text = '';
  let usage = { inputTokens: 0, outputTokens: 0 };
  let partial = false;
  let read = false;
  try {
    for (let next = await first; !next.done; next = await stream.next()) {
      const ev = next.value;
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
    read = true;
  } catch (err) {
    partial = true;
    deps.logger.warn({ err: (err as Error).message, conversationId }, 'answer stream broke');
  } finally {
    // Stopped early (the canary filter tripped, or the visitor's stream was closed at a token): end the model's stream.
    if (!read || filter.tripped) void stream.return?.(undefined).catch(() => {});
  }
  // What the filter still holds back belongs to the answer, complete or partial.
  const rest = filter.end();
  if (rest) {
    text += rest;
    if (!input.signal.aborted) yield { type: 'token', text: rest };
  }
  if (partial && !usage.outputTokens) usage = { inputTokens: Math.ceil(promptChars / 4), outputTokens: Math.ceil(text.length / 4) };
  const cited = new Set([...text.matchAll(/\[(\d{1,2})\]/g)].map((m) => Number(m[1])));
  const sources: CitedSource[] = cites
    .filter((p) => (cited.size === 0 ? p.n <= 3 : cited.has(p.n)))
    .map((p) => ({ n: p.n, title: p.title, url: p.url.startsWith('upload:') ? null : p.url, page: p.page }));
  if (text) yield { type: 'sources', sources };
  const messageId = await store(row(partial && !text ? cannedText('failed', language) : text, { sources, confidence, answered: !partial, partial, ...usage, model: deps.llm.model }));
  held.spentUsd = cost(deps, usage.inputTokens, usage.outputTokens);
  if (held.reservation) await settleBudget(deps.state, held.reservation, held.spentUsd);
  held.reservation = null;
  if (partial && !input.signal.aborted) {
    yield { type: 'error', code: 'llm_failed', message: cannedText('failed', language) };
    return;
  }
  if (capture === 'after_first_answer' && !turn.hasEmail && !askEmail) yield { type: 'phase', conversationId, phase: turn.phase, askEmail: true };
  yield { type: 'done', conversationId, messageId, confidence, answered: true };
}
