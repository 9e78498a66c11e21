import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SiteView } from '../../contracts/sites.ts';
import type { ChatEvent } from '../../contracts/widget.ts';
import { request as httpRequest } from 'node:http';
import { startOpenAiServer, type OpenAiServer } from '../../test/fixtures/openai-server.ts';
import { buildTestApp, eventually, openTestDatabase, testBackend } from '../../test/harness.ts';
import { newOwner, setTierDirectly, type TestUser } from '../../test/sessions.ts';
import { parseEvents, seedPages, widgetClient } from '../../test/widget-helpers.ts';
import type { Database } from '../db/database.ts';
import { withTenant } from '../db/tenant.ts';
import { createOpenAiChatModel } from '../platform/llm/openai.ts';
import { cannedText } from './messages.ts';

// The tenant's daily AI budget: the worst case of each call is reserved before it, atomically, and
// settled after. Over the cap, visitors get a friendly reply and the email ask, never a model call.
// Runs on the in-process state store (PGlite pass) and on Redis (server pass).

type TestApp = Awaited<ReturnType<typeof buildTestApp>>;

const origin = 'https://shop.example.com';
const question = 'How many days do I have to return an item for a refund?';
const page = {
  url: 'https://shop.example.com/returns',
  title: 'Returns and refunds',
  text: 'You can return any unused item within 30 days of delivery for a full refund. Start a return from your order page and we email you a prepaid return label. Refunds reach your card within 5 business days after the parcel arrives.',
};
/** Prices that make a small cap bite: output tokens dominate, as in real answers. */
const prices = { LLM_PRICE_INPUT_PER_MTOK: '10', LLM_PRICE_OUTPUT_PER_MTOK: '1000' };
const env = {
  ...prices,
  RATE_LIMIT_CHAT: '100000/60',
  RATE_LIMIT_PUBLIC: '100000/60',
  RATE_LIMIT_ADMIN: '100000/60',
  CHAT_LIMIT_PER_SITE: '100000/60',
  CHAT_NEW_CONVERSATIONS_PER_IP: '100000/3600',
  CHAT_MAX_STREAMS_PER_SITE: '10000',
};
/** A long answer (600 tokens, below the 700-token output cap): each call costs most of its reservation. */
const longAnswer = Array.from({ length: 599 }, (_, i) => `w${i}`).join(' ') + ' [1]';

let database: Database;
let provider: OpenAiServer;
let t: TestApp;

const modelFor = (server: OpenAiServer) => createOpenAiChatModel({ baseUrl: server.baseUrl, apiKey: 'test-key', model: 'test-model', fetch: globalThis.fetch, retryBaseMs: 10 });

beforeAll(async () => {
  database = await openTestDatabase();
  provider = await startOpenAiServer({ answer: () => longAnswer });
  t = await buildTestApp(database, env, { llm: modelFor(provider) });
});
afterAll(async () => {
  await t?.close();
  await provider?.close();
  await database?.close();
});

/** The worst case one chat call reserves: the prompt allowance plus the output cap at the configured prices. */
function reservationUsd(app: TestApp): number {
  const { inputPerMTok, outputPerMTok } = app.config.llmPrices;
  return (6_000 * inputPerMTok + app.config.chat.maxOutputTokens * outputPerMTok) / 1e6;
}

async function tenantWithSite(app: TestApp, capUsd: number, settings: Record<string, unknown> = {}): Promise<{ owner: TestUser; site: SiteView }> {
  const owner = await newOwner(app.app, app.deps);
  const patched = await app.app.inject({ method: 'PATCH', url: '/api/tenant', headers: owner.headers, payload: { dailyBudgetUsd: capUsd } });
  if (patched.statusCode !== 200) throw new Error(`budget: ${patched.statusCode} ${patched.body}`);
  const res = await app.app.inject({ method: 'POST', url: '/api/sites', headers: owner.headers, payload: { name: 'Northwind Outdoor', domains: ['shop.example.com'], settings } });
  const site = res.json() as SiteView;
  await seedPages(app.deps, owner.tenantId, site.id, [page]);
  return { owner, site };
}

async function spentUsd(tenantId: string): Promise<number> {
  const row = await withTenant(database.db, tenantId, (tx) => tx.selectFrom('ai_usage').select(sql<string>`coalesce(sum(cost_usd), 0)`.as('usd')).executeTakeFirstOrThrow());
  return Number(row.usd);
}

/** `n` visitors, each with a session, asking at the same moment; returns each one's events. */
async function concurrentChats(app: TestApp, site: SiteView, n: number): Promise<ChatEvent[][]> {
  const visitors = await Promise.all(
    Array.from({ length: n }, async () => {
      const v = widgetClient(app.app, site.embedKey, origin);
      await v.session();
      return v;
    }),
  );
  const results = await Promise.all(visitors.map((v) => v.chat(question)));
  for (const r of results) expect(r.res.statusCode).toBe(200);
  return results.map((r) => r.events);
}

const answered = (events: ChatEvent[]) => events.some((e) => e.type === 'done' && e.answered);

describe('over the daily cap', () => {
  it('visitors get the friendly reply and the email ask; the owner sees the cap hit', async () => {
    const { owner, site } = await tenantWithSite(t, 0.0001);
    await setTierDirectly(t.deps, owner.tenantId, 'pro'); // the audit log is a pro feature; the explicit cap stays
    const before = provider.requests.length;
    const visitor = widgetClient(t.app, site.embedKey, origin);
    await visitor.session();
    const { events } = await visitor.chat(question);
    expect(events.map((e) => e.type)).toEqual(['phase', 'token', 'done']);
    expect(events[0]).toMatchObject({ type: 'phase', askEmail: true });
    expect(events[1]).toEqual({ type: 'token', text: cannedText('overBudget', 'en') });
    expect(events[2]).toMatchObject({ type: 'done', answered: false, confidence: 0 });
    expect(provider.requests.length).toBe(before); // no model call at all

    const fi = await visitor.chat('Kuinka monta päivää minulla on aikaa palauttaa tuote?', { language: 'fi' });
    expect(fi.events[1]).toEqual({ type: 'token', text: cannedText('overBudget', 'fi') });

    const audit = (await t.app.inject({ url: '/api/audit?action=budget.exceeded', headers: owner.headers })).json() as { items: { action: string; target: { type: string; id: string } | null }[] };
    expect(audit.items.length).toBeGreaterThanOrEqual(1);
    expect(audit.items[0]).toMatchObject({ action: 'budget.exceeded' });
    const usage = (await t.app.inject({ url: '/api/usage', headers: owner.headers })).json() as { capUsd: number; capHitToday: boolean; todayCostUsd: number };
    expect(usage).toMatchObject({ capUsd: 0.0001, capHitToday: true, todayCostUsd: 0 });
  });

  it('with email capture off: the friendly reply, no email ask', async () => {
    const { site } = await tenantWithSite(t, 0, { emailCapture: 'off' });
    const visitor = widgetClient(t.app, site.embedKey, origin);
    await visitor.session();
    const { events } = await visitor.chat(question);
    expect(events.filter((e) => e.type === 'phase').every((e) => e.type === 'phase' && !e.askEmail)).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'done', answered: false });
  });

  it('under the cap the same question is answered, and the cost is what was metered', async () => {
    const { owner, site } = await tenantWithSite(t, 100);
    const visitor = widgetClient(t.app, site.embedKey, origin);
    await visitor.session();
    const { events } = await visitor.chat(question);
    expect(answered(events)).toBe(true);
    const usage = (await t.app.inject({ url: '/api/usage', headers: owner.headers })).json() as { capHitToday: boolean; todayCostUsd: number };
    expect(usage.capHitToday).toBe(false);
    expect(usage.todayCostUsd).toBeGreaterThan(0);
    expect(usage.todayCostUsd).toBeLessThanOrEqual(reservationUsd(t));
    expect(usage.todayCostUsd).toBeCloseTo(await spentUsd(owner.tenantId), 8);
  });
});

describe('the cap under a race', () => {
  it('200 concurrent chats, in waves, never spend more than the cap plus one call', { timeout: 180_000 }, async () => {
    const oneCall = reservationUsd(t);
    const capUsd = Math.round(50 * oneCall * 100) / 100; // about 50 worst-case reservations
    const { owner, site } = await tenantWithSite(t, capUsd);
    let maxOverspend = -Infinity;
    const perWave: number[] = [];
    for (let wave = 0; wave < 4; wave++) {
      const results = await concurrentChats(t, site, 200);
      const ok = results.filter(answered).length;
      perWave.push(ok);
      for (const events of results) if (!answered(events)) expect(events.find((e) => e.type === 'token')).toEqual({ type: 'token', text: cannedText('overBudget', 'en') });
      const spent = await spentUsd(owner.tenantId);
      maxOverspend = Math.max(maxOverspend, spent - capUsd);
      expect(spent, `wave ${wave + 1}: spent ${spent} against cap ${capUsd}`).toBeLessThanOrEqual(capUsd + oneCall);
      if (ok === 0) break;
    }
    // The cap bit: most of the first wave was refused, and the waves together answered about cap / cost.
    expect(perWave[0]).toBeLessThanOrEqual(Math.ceil(capUsd / oneCall));
    expect(perWave[0]).toBeGreaterThan(0);
    expect(perWave.at(-1)).toBe(0);
    console.info(`[budget race ${testBackend}/${t.deps.state.kind}] cap ${capUsd} USD, one call ≤ ${oneCall} USD, answered per wave ${perWave.join(', ')}, max overspend ${maxOverspend.toFixed(6)} USD`);
  });

  it('after a restart (new state store), spend already metered today still counts for concurrent chats', { timeout: 120_000 }, async () => {
    const oneCall = reservationUsd(t);
    const capUsd = Math.round(50 * oneCall * 100) / 100;
    const { owner, site } = await tenantWithSite(t, capUsd);
    // Earlier today (before the restart) the tenant already spent all but half a call.
    const earlier = capUsd - oneCall / 2;
    await withTenant(database.db, owner.tenantId, (tx) =>
      tx.insertInto('ai_usage').values({ tenant_id: owner.tenantId, site_id: site.id, purpose: 'chat', provider: 'openai', model: 'test-model', input_tokens: 1, output_tokens: 1, cost_usd: String(earlier) }).execute(),
    );
    // A fresh process: its state store (in-process, or a Redis key space) has no counter for today.
    const restarted = await buildTestApp(database, env, { llm: modelFor(provider) });
    try {
      const results = await concurrentChats(restarted, site, 200);
      const spent = await spentUsd(owner.tenantId);
      const ok = results.filter(answered).length;
      expect({ answered: ok, overspendUsd: Math.max(0, Math.round((spent - capUsd) * 1e6) / 1e6) }, `spent ${spent} against cap ${capUsd}`).toEqual({ answered: 0, overspendUsd: 0 });
    } finally {
      await restarted.close();
    }
  });
});

describe('reservations when the chat ends early', () => {
  let slow: OpenAiServer;
  let s: TestApp;
  let base: string;
  beforeAll(async () => {
    slow = await startOpenAiServer({ tokenDelayMs: 20, answer: () => longAnswer });
    // Input tokens carry the price here, so the prompt an abandoned call consumed is clearly not free.
    s = await buildTestApp(database, { ...env, LLM_PRICE_INPUT_PER_MTOK: '1000', LLM_PRICE_OUTPUT_PER_MTOK: '0' }, { llm: modelFor(slow) });
    await s.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(s.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await s?.close();
    await slow?.close();
  });

  it('count against the cap: hanging up after the first token does not make calls free', { timeout: 60_000 }, async () => {
    // Room for one worst-case call and 0.1 USD: each abandoned call costs its prompt (500+ tokens = 0.5+ USD).
    const capUsd = Math.round((reservationUsd(s) + 0.1) * 1e4) / 1e4;
    const { owner, site } = await tenantWithSite(s, capUsd);
    const visitor = widgetClient(s.app, site.embedKey, origin);
    await visitor.session();
    let modelCalls = 0;
    for (let i = 0; i < 5; i++) {
      const before = slow.chatStreams.length;
      const abort = new AbortController();
      const res = await fetch(`${base}/widget/v1/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-cloop-key': site.embedKey, origin, authorization: `Bearer ${visitor.token}` },
        body: JSON.stringify({ message: question }),
        signal: abort.signal,
      });
      const reader = res.body!.getReader();
      let text = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
        if (parseEvents(text).some((e) => e.type === 'token' || e.type === 'done')) break;
      }
      abort.abort();
      await reader.cancel().catch(() => {});
      if (slow.chatStreams.length > before) {
        modelCalls++;
        await eventually(() => slow.chatStreams[before]?.clientGone || slow.chatStreams[before]?.completed, 5_000);
      }
      await new Promise((r) => setTimeout(r, 100)); // the server settles the call after the hang-up
    }
    // One worst-case reservation fits the cap; after the first call's real cost is counted, no second one does.
    expect({ modelCalls, metered: (await spentUsd(owner.tenantId)) > 0 }).toEqual({ modelCalls: 1, metered: true });
  });
  /** Ways a chat ends before any model call; each must give its worst-case reservation back. */
  const endings: { name: string; run: (site: SiteView, visitor: ReturnType<typeof widgetClient>, foreignConversation: string) => Promise<void> }[] = [
    {
      name: 'the message names another visitor’s conversation',
      run: async (_site, visitor, foreign) => {
        const { events } = await visitor.chat(question, { conversationId: foreign });
        expect(events.at(-1)).toMatchObject({ type: 'error', code: 'conversation_not_found' });
      },
    },
    {
      name: 'the message names an unknown conversation',
      run: async (_site, visitor) => {
        const { events } = await visitor.chat(question, { conversationId: '3f1c2b7e-9a4d-4c1e-8f00-123456789abc' });
        expect(events.at(-1)).toMatchObject({ type: 'error', code: 'conversation_not_found' });
      },
    },
    {
      name: 'the visitor hangs up as soon as the response starts',
      run: (site, visitor) =>
        new Promise<void>((resolve, reject) => {
          const req = httpRequest(`${base}/widget/v1/chat`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-cloop-key': site.embedKey, origin, authorization: `Bearer ${visitor.token}` },
          });
          req.on('response', (res) => {
            res.destroy();
            req.destroy();
            setTimeout(resolve, 300); // the server finishes its side of the request
          });
          req.on('error', () => {});
          req.on('close', () => setTimeout(resolve, 300));
          req.end(JSON.stringify({ message: question }));
          setTimeout(() => reject(new Error('no response')), 10_000).unref();
        }),
    },
    {
      name: 'the visitor hangs up right after sending',
      run: (site, visitor) =>
        new Promise<void>((resolve) => {
          const req = httpRequest(`${base}/widget/v1/chat`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-cloop-key': site.embedKey, origin, authorization: `Bearer ${visitor.token}` },
          });
          req.on('error', () => {});
          req.end(JSON.stringify({ message: question }), () => {
            req.destroy();
            setTimeout(resolve, 500);
          });
        }),
    },
  ];

  it.each(endings)('$name: the reservation is released (3 times, then a real question is still answered)', async (row) => {
    slow.setAnswer(() => 'Thirty days [1]');
    try {
      // Room for one and a half worst-case calls: a leaked reservation leaves no room for the real question.
      const capUsd = Math.round(reservationUsd(s) * 1.5 * 1e4) / 1e4;
      const { owner, site } = await tenantWithSite(s, capUsd);
      const other = widgetClient(s.app, site.embedKey, origin);
      await other.session();
      const foreign = (parseEvents((await other.chat('Hello there, do you sell tents?')).res.body)[0] as { conversationId: string }).conversationId;
      const mallory = widgetClient(s.app, site.embedKey, origin);
      await mallory.session();
      for (let i = 0; i < 3; i++) await row.run(site, mallory, foreign);
      const visitor = widgetClient(s.app, site.embedKey, origin);
      await visitor.session();
      const { events } = await visitor.chat(question);
      expect(events.find((e) => e.type === 'token'), `the real question, after: ${row.name}`).not.toEqual({ type: 'token', text: cannedText('overBudget', 'en') });
      expect(answered(events)).toBe(true);
      expect(await spentUsd(owner.tenantId)).toBeLessThanOrEqual(capUsd);
    } finally {
      slow.setAnswer(() => longAnswer);
    }
  });
});
