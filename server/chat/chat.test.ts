import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SiteView } from '../../contracts/sites.ts';
import type { ChatEvent } from '../../contracts/widget.ts';
import { chatChunkEvent, chatUsageEvent, startOpenAiServer, type OpenAiServer } from '../../test/fixtures/openai-server.ts';
import { buildTestApp, eventually, openTestDatabase } from '../../test/harness.ts';
import { newOwner, type TestUser } from '../../test/sessions.ts';
import { parseEvents, seedPages, widgetClient } from '../../test/widget-helpers.ts';
import type { Database } from '../db/database.ts';
import { withTenant } from '../db/tenant.ts';
import { createOpenAiEmbedder } from '../platform/embeddings/openai.ts';
import { createOpenAiChatModel } from '../platform/llm/openai.ts';

// A visitor's message end to end, over the real HTTP stack: the events and their order, phases and
// email capture, streaming from an OpenAI-compatible provider (a loopback server), metering,
// broken and abandoned streams, what leaves the server, and the chat rate limits.

type TestApp = Awaited<ReturnType<typeof buildTestApp>>;

const origin = 'https://shop.example.com';
/** Every test request comes from one address; the limits under test are set per app below. */
const generous = { RATE_LIMIT_CHAT: '10000/60', RATE_LIMIT_PUBLIC: '10000/60', RATE_LIMIT_ADMIN: '10000/60', CHAT_NEW_CONVERSATIONS_PER_IP: '10000/3600', CHAT_LIMIT_PER_VISITOR: '10000/60' };

/** The site's content: questions below are answered from it with good confidence. */
const pages = [
  {
    url: 'https://shop.example.com/returns',
    title: 'Returns and refunds',
    text: 'You can return any unused item within 30 days of delivery for a full refund. Start a return from your order page and we email you a prepaid return label. Refunds reach your card within 5 business days after the parcel arrives at our warehouse.',
  },
  {
    url: 'https://shop.example.com/shipping',
    title: 'Shipping and delivery',
    text: 'Orders placed before 2 pm ship the same day from our warehouse in Tampere. Standard delivery takes 2 to 4 business days in Finland and 5 to 7 business days elsewhere in the EU. Shipping is free for orders over 50 euros.',
  },
  {
    url: 'https://shop.example.com/tents/aurora-2',
    title: 'Aurora 2 tent',
    text: 'The Aurora 2 tent weighs 1.9 kg and sleeps two people. Its poles are aluminium and the fly sheet has a 3000 mm hydrostatic head. Pitching the Aurora 2 takes about five minutes.',
  },
];
const returnsQuestion = 'How many days do I have to return an item for a refund?';

let database: Database;
/** The embedded default: the offline extractive answerer. */
let offline: TestApp;
/** The loopback provider and an app that streams from it. */
let provider: OpenAiServer;
let online: TestApp;

const modelFor = (server: OpenAiServer) => createOpenAiChatModel({ baseUrl: server.baseUrl, apiKey: 'test-key', model: 'test-model', fetch: globalThis.fetch, retryBaseMs: 10 });

beforeAll(async () => {
  database = await openTestDatabase();
  provider = await startOpenAiServer();
  offline = await buildTestApp(database, generous);
  online = await buildTestApp(database, generous, { llm: modelFor(provider) });
});
afterAll(async () => {
  await online?.close();
  await offline?.close();
  await provider?.close();
  await database?.close();
});

/** A new tenant with one site holding `pages`. */
async function siteWithPages(t: TestApp, settings: Record<string, unknown> = {}): Promise<{ owner: TestUser; site: SiteView }> {
  const owner = await newOwner(t.app, t.deps);
  const res = await t.app.inject({ method: 'POST', url: '/api/sites', headers: owner.headers, payload: { name: 'Northwind Outdoor', domains: ['shop.example.com'], settings } });
  if (res.statusCode !== 201) throw new Error(`create site: ${res.statusCode} ${res.body}`);
  const site = res.json() as SiteView;
  await seedPages(t.deps, owner.tenantId, site.id, pages);
  return { owner, site };
}

async function visitorOf(t: TestApp, site: SiteView) {
  const client = widgetClient(t.app, site.embedKey, origin);
  await client.session();
  return client;
}

const types = (events: ChatEvent[]) => events.map((e) => e.type).join(' ');
const textOf = (events: ChatEvent[]) => events.flatMap((e) => (e.type === 'token' ? [e.text] : [])).join('');
const phases = (events: ChatEvent[]) => events.filter((e): e is Extract<ChatEvent, { type: 'phase' }> => e.type === 'phase');
const doneOf = (events: ChatEvent[]) => events.find((e): e is Extract<ChatEvent, { type: 'done' }> => e.type === 'done');
const chatRequests = (server: OpenAiServer, from = 0) => server.requests.slice(from).filter((r) => r.path === '/v1/chat/completions');

describe('answers (offline model)', () => {
  it('stream phase → token… → sources → done, quoting and citing the site', async () => {
    const { site } = await siteWithPages(offline);
    const visitor = await visitorOf(offline, site);
    const { res, events } = await visitor.chat(returnsQuestion, { pageUrl: 'https://shop.example.com/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(types(events)).toMatch(/^phase( token)+ sources done$/);
    const [phase] = phases(events);
    expect(phase).toMatchObject({ phase: 'exploring', askEmail: false });
    const done = doneOf(events)!;
    expect(done).toMatchObject({ conversationId: phase!.conversationId, answered: true });
    expect(done.confidence).toBeGreaterThanOrEqual(0.35);
    expect(textOf(events)).toContain('30 days');
    const sources = events.find((e) => e.type === 'sources') as Extract<ChatEvent, { type: 'sources' }>;
    expect(sources.sources.map((s) => s.url)).toContain('https://shop.example.com/returns');

    // The stored transcript is what the visitor saw.
    const history = (await visitor.inject({ url: `/widget/v1/conversations/${done.conversationId}/messages` })).json() as { messages: { role: string; text: string; id: string }[] };
    expect(history.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(history.messages[1]).toMatchObject({ id: done.messageId, text: textOf(events) });
  });

  it('a question the content does not answer → answered: false and the email ask', async () => {
    const { site } = await siteWithPages(offline);
    const visitor = await visitorOf(offline, site);
    const { events } = await visitor.chat('What is the airspeed velocity of an unladen swallow?');
    const done = doneOf(events)!;
    expect(done.answered).toBe(false);
    expect(done.confidence).toBeLessThan(0.35);
    expect(phases(events).some((p) => p.askEmail)).toBe(true);
    expect(events.some((e) => e.type === 'sources')).toBe(false);
    expect(textOf(events)).toMatch(/couldn't find an answer/);
  });

  it('asking for a person moves the phase to requesting_contact and asks for the email', async () => {
    const { site } = await siteWithPages(offline);
    const visitor = await visitorOf(offline, site);
    const first = await visitor.chat('Can I talk to a person?');
    expect(phases(first.events)[0]).toMatchObject({ phase: 'requesting_contact', askEmail: true });
    // Phases only move forward; once the email is given, it is not asked again.
    const conversationId = phases(first.events)[0]!.conversationId;
    await visitor.inject({ method: 'POST', url: '/widget/v1/lead', payload: { conversationId, email: 'visitor@example.com' } });
    const second = await visitor.chat('Please contact me about a bulk order of tents', { conversationId });
    expect(phases(second.events).map((p) => [p.phase, p.askEmail])).toEqual([['requesting_contact', false]]);
  });

  it('email capture off → never askEmail (person wanted, unanswered, answered)', async () => {
    const { site } = await siteWithPages(offline, { emailCapture: 'off' });
    const visitor = await visitorOf(offline, site);
    for (const message of ['Can I talk to a person?', 'What is the airspeed velocity of an unladen swallow?', returnsQuestion, 'Call me back please']) {
      const { events } = await visitor.chat(message);
      expect(doneOf(events), message).toBeDefined();
      expect(phases(events).every((p) => !p.askEmail), message).toBe(true);
    }
  });

  it('email capture after_first_answer asks once the first answer is done', async () => {
    const { site } = await siteWithPages(offline, { emailCapture: 'after_first_answer' });
    const visitor = await visitorOf(offline, site);
    const { events } = await visitor.chat(returnsQuestion);
    expect(types(events)).toMatch(/^phase( token)+ sources phase done$/);
    expect(phases(events).map((p) => p.askEmail)).toEqual([false, true]);
  });
});

describe('answers from a provider (loopback OpenAI-compatible server)', () => {
  it('stream the provider’s tokens in order and meter the call', async () => {
    const { owner, site } = await siteWithPages(online);
    // Each word ends in punctuation, which no canary holds back, so every provider token is relayed on its own.
    const words = Array.from({ length: 40 }, (_, i) => `w${i};`);
    provider.setAnswer(() => `${words.join(' ')} [1]`);
    try {
      const visitor = await visitorOf(online, site);
      const before = provider.requests.length;
      const { events } = await visitor.chat(returnsQuestion);
      expect(types(events)).toMatch(/^phase( token)+ sources done$/);
      expect(textOf(events)).toBe(`${words.join(' ')} [1]`);
      // Each provider token is relayed as it came, in order.
      expect(events.filter((e) => e.type === 'token').length).toBe(words.length + 1);
      const sent = chatRequests(provider, before);
      expect(sent).toHaveLength(1);

      const body = sent[0]!.body as { messages: { content: string }[]; stream: boolean; max_tokens: number };
      expect(body.stream).toBe(true);
      const inputTokens = body.messages.reduce((n, m) => n + provider.tokensFor(m.content), 0);
      const usage = (await online.app.inject({ url: '/api/usage', headers: owner.headers })).json() as {
        todayCostUsd: number;
        byPurpose: { purpose: string; inputTokens: number; outputTokens: number; costUsd: number }[];
      };
      const chat = usage.byPurpose.find((p) => p.purpose === 'chat')!;
      expect(chat).toMatchObject({ inputTokens, outputTokens: words.length + 1 });
      const { inputPerMTok, outputPerMTok } = online.config.llmPrices;
      expect(chat.costUsd).toBeCloseTo((inputTokens * inputPerMTok + (words.length + 1) * outputPerMTok) / 1e6, 8);
      expect(usage.todayCostUsd).toBeCloseTo(chat.costUsd, 8);
    } finally {
      provider.setAnswer((messages) => `You said: ${messages.filter((m) => m.role === 'user').at(-1)?.content ?? ''}`);
    }
  });

  it('a stream cut midway stores the partial answer and ends with an error event', async () => {
    const { owner, site } = await siteWithPages(online);
    const visitor = await visitorOf(online, site);
    // Tokens end in punctuation: the canary filter never holds a tail back that could look like the canary's start.
    provider.setAnswer(() => 'one, two, three. four five six seven eight nine ten');
    provider.cutNextAfter(3);
    try {
      const { events } = await visitor.chat(returnsQuestion);
      expect(types(events)).toMatch(/^phase token token token( sources)? error$/);
      expect(textOf(events)).toBe('one, two, three.');
      expect(events.at(-1)).toMatchObject({ type: 'error', code: 'llm_failed' });
      expect(JSON.stringify(events)).not.toContain('test-key');
      const conversationId = phases(events)[0]!.conversationId;
      const transcript = (await online.app.inject({ url: `/api/sites/${site.id}/conversations/${conversationId}`, headers: owner.headers })).json() as {
        messages: { role: string; text: string; partial: boolean; answered: boolean | null }[];
      };
      expect(transcript.messages.at(-1)).toMatchObject({ role: 'assistant', text: 'one, two, three.', partial: true, answered: false });
      // The tokens that were streamed were consumed: the call is metered all the same.
      const usage = (await online.app.inject({ url: '/api/usage', headers: owner.headers })).json() as { byPurpose: { purpose: string; outputTokens: number; inputTokens: number }[] };
      expect(usage.byPurpose.find((p) => p.purpose === 'chat')).toMatchObject({ outputTokens: expect.any(Number), inputTokens: expect.any(Number) });
      expect(usage.byPurpose.find((p) => p.purpose === 'chat')!.inputTokens).toBeGreaterThan(0);
    } finally {
      provider.setAnswer((messages) => `You said: ${messages.filter((m) => m.role === 'user').at(-1)?.content ?? ''}`);
    }
  });

  it('a question whose transaction fails to commit: the model call (started meanwhile) is stopped, the visitor gets only the error', async () => {
    const { owner, site } = await siteWithPages(online);
    const visitor = await visitorOf(online, site);
    const marker = `${returnsQuestion} (refused at commit)`;
    // A deferred check: the question's row is refused only when its transaction commits.
    const fn = `cloop_test_refuse_at_commit_${site.id.replaceAll('-', '')}`;
    await database.executeSql(`create function ${fn}() returns trigger language plpgsql as $$ begin if new.text = '${marker.replaceAll("'", "''")}' then raise exception 'refused at commit'; end if; return null; end $$`);
    await database.executeSql(`create constraint trigger ${fn} after insert on messages deferrable initially deferred for each row execute function ${fn}()`);
    provider.setAnswer(() => 'An answer that must never reach the visitor.');
    try {
      const { res, events } = await visitor.chat(marker);
      // The stream opened before the work began; its only event is the error.
      expect(res.statusCode).toBe(200);
      expect(events).toEqual([expect.objectContaining({ type: 'error', code: 'internal' })]);
      const list = (await online.app.inject({ url: `/api/sites/${site.id}/conversations`, headers: owner.headers })).json() as { items: unknown[] };
      expect(list.items).toEqual([]);
      // The next question goes through as usual.
      provider.setAnswer(() => 'Within 30 days. [1]');
      const again = await visitor.chat(returnsQuestion);
      expect(types(again.events)).toMatch(/^phase( token)+ sources done$/);
    } finally {
      await database.executeSql(`drop trigger ${fn} on messages`);
      await database.executeSql(`drop function ${fn}()`);
      provider.setAnswer((messages) => `You said: ${messages.filter((m) => m.role === 'user').at(-1)?.content ?? ''}`);
    }
  });

  it('with a provider embedder, the question’s embedding call is metered too', async () => {
    const embedder = createOpenAiEmbedder({ baseUrl: provider.baseUrl, apiKey: 'test-key', model: 'test-embed', dimension: 384, pricePerMillionTokens: 20, fetch: globalThis.fetch, retryBaseMs: 10 });
    const t = await buildTestApp(database, generous, { llm: modelFor(provider), embedder });
    try {
      const { owner, site } = await siteWithPages(t);
      const visitor = await visitorOf(t, site);
      const before = provider.requests.length;
      await visitor.chat(returnsQuestion);
      const embeddingCalls = provider.requests.slice(before).filter((r) => r.path === '/v1/embeddings');
      expect(embeddingCalls).toHaveLength(1);
      const usage = (await t.app.inject({ url: '/api/usage', headers: owner.headers })).json() as { byPurpose: { purpose: string; inputTokens: number; costUsd: number }[] };
      const embedding = usage.byPurpose.find((p) => p.purpose === 'embedding');
      expect(embedding, 'ai_usage has the question’s embedding call').toBeDefined();
      expect(embedding!.inputTokens).toBeGreaterThanOrEqual(provider.tokensFor(returnsQuestion));
    } finally {
      await t.close();
    }
  });

  describe('a visitor who leaves mid-answer (real HTTP)', () => {
    let slow: OpenAiServer;
    let t: TestApp;
    let base: string;
    const answerWords = 400;
    beforeAll(async () => {
      slow = await startOpenAiServer({ tokenDelayMs: 25, answer: () => Array.from({ length: answerWords }, (_, i) => `t${i}`).join(' ') });
      t = await buildTestApp(database, { ...generous, CHAT_MAX_STREAMS_PER_SITE: '1' }, { llm: modelFor(slow) });
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await t?.close();
      await slow?.close();
    });

    /** Opens a chat over real HTTP, reads until the first token, then hangs up. */
    async function leaveAfterFirstToken(site: SiteView, token: string): Promise<ChatEvent[]> {
      const abort = new AbortController();
      const res = await fetch(`${base}/widget/v1/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-cloop-key': site.embedKey, origin, authorization: `Bearer ${token}` },
        body: JSON.stringify({ message: returnsQuestion }),
        signal: abort.signal,
      });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      while (!parseEvents(text).some((e) => e.type === 'token')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
      abort.abort();
      await reader.cancel().catch(() => {});
      return parseEvents(text);
    }

    it('stops the provider stream and frees the stream slot', async () => {
      const { site } = await siteWithPages(t);
      const visitor = await visitorOf(t, site);
      const streamsBefore = slow.chatStreams.length;
      const seen = await leaveAfterFirstToken(site, visitor.token);
      expect(seen.some((e) => e.type === 'token')).toBe(true);
      const record = await eventually(() => (slow.chatStreams[streamsBefore]?.clientGone ? slow.chatStreams[streamsBefore] : undefined), 5_000);
      expect(record).toMatchObject({ clientGone: true, completed: false });
      expect(record!.tokensSent).toBeLessThan(answerWords / 2);
      // The one stream slot of the site is free again: the next answer streams (no 429).
      slow.setAnswer(() => 'short answer');
      try {
        const next = await eventually(async () => {
          const r = await visitor.chat(returnsQuestion);
          return r.res.statusCode === 200 ? r : undefined;
        }, 5_000);
        expect(doneOf(next!.events)).toBeDefined();
      } finally {
        slow.setAnswer(() => Array.from({ length: answerWords }, (_, i) => `t${i}`).join(' '));
      }
    });

    it('still meters the call and keeps the partial answer', async () => {
      const { owner, site } = await siteWithPages(t);
      const visitor = await visitorOf(t, site);
      const streamsBefore = slow.chatStreams.length;
      const seen = await leaveAfterFirstToken(site, visitor.token);
      const conversationId = phases(seen)[0]!.conversationId;
      await eventually(() => slow.chatStreams[streamsBefore]?.clientGone, 5_000);
      // The provider consumed the prompt and produced tokens: that cost must be counted (budget and
      // usage), and the answer so far kept as a partial message, as when the provider breaks the stream.
      const observed = async () => {
        const metered = await withTenant(t.deps.database.db, owner.tenantId, (tx) => tx.selectFrom('ai_usage').select(['input_tokens', 'output_tokens']).where('purpose', '=', 'chat').execute());
        const transcript = (await t.app.inject({ url: `/api/sites/${site.id}/conversations/${conversationId}`, headers: owner.headers })).json() as { messages: { role: string; partial: boolean }[] };
        return { meteredCalls: metered.length, inputTokensMetered: metered.some((m) => m.input_tokens > 0), messages: transcript.messages.map((m) => `${m.role}${m.partial ? ' (partial)' : ''}`) };
      };
      const expected = { meteredCalls: 1, inputTokensMetered: true, messages: ['user', 'assistant (partial)'] };
      const seenState = await eventually(async () => {
        const o = await observed();
        return o.meteredCalls ? o : undefined;
      }, 3_000).catch(observed);
      expect(seenState).toEqual(expected);
    });
  });
});

describe('what reaches the provider', () => {
  it('no personal data, no ids, no tokens, no visitor email', async () => {
    const { owner, site } = await siteWithPages(online);
    const visitor = await visitorOf(online, site);
    const before = provider.requests.length;
    const pii = {
      email: 'jane.doe+orders@example.com',
      phone: '+358 40 123 4567',
      phoneNational: '040-7654321',
      card: '4111 1111 1111 1111',
      cardCompact: '5555555555554444',
      iban: 'FI21 1234 5600 0007 85',
      ibanCompact: 'DE89370400440532013000',
      pageEmail: 'secret.page@example.org',
    };
    // Each message also asks something the site answers, so that every one reaches the model.
    const messages = [
      `${returnsQuestion} You can email me at ${pii.email}.`,
      `How long does delivery take in Finland? Call me on ${pii.phone} or ${pii.phoneNational}.`,
      `How many days do I have to return an item? I paid with card ${pii.card} and also ${pii.cardCompact}.`,
      `Refund to my account ${pii.iban} please, or ${pii.ibanCompact}. How many days does a refund take?`,
    ];
    const first = await visitor.chat(messages[0]!, { pageUrl: `https://shop.example.com/account?email=${pii.pageEmail}` });
    const conversationId = phases(first.events)[0]!.conversationId;
    for (const message of messages.slice(1)) await visitor.chat(message, { conversationId });
    // After the visitor left their email as a lead, it still never goes to the provider.
    const leadEmail = 'lead.person@example.net';
    expect((await visitor.inject({ method: 'POST', url: '/widget/v1/lead', payload: { conversationId, email: leadEmail } })).statusCode).toBe(200);
    const last = await visitor.chat(`${returnsQuestion} My email is ${leadEmail}, as I said.`, { conversationId });
    expect(doneOf(last.events)?.answered).toBe(true);

    const sent = chatRequests(provider, before);
    expect(sent).toHaveLength(messages.length + 1); // every message reached the model (with history)
    const claims = JSON.parse(Buffer.from(visitor.token.split('.')[1]!, 'base64url').toString()) as { sub: string };
    const forbidden = {
      ...pii,
      leadEmail,
      phoneDigits: '401234567',
      cardDigits: '4111111111111111',
      visitorSecret: visitor.visitorId!,
      visitorUuid: claims.sub,
      visitorToken: visitor.token,
      tenantId: owner.tenantId,
      siteId: site.id,
      embedKey: site.embedKey,
      conversationId,
      ownerEmail: owner.email,
    };
    for (const request of sent) {
      const raw = JSON.stringify(request.body);
      const digitsOnly = raw.replace(/[\s-]/g, '');
      for (const [what, value] of Object.entries(forbidden)) {
        expect(raw.includes(value), `${what} reached the provider`).toBe(false);
        expect(digitsOnly.includes(value.replace(/[\s-]/g, '')), `${what} (separators removed) reached the provider`).toBe(false);
      }
      expect(JSON.stringify(request.headers)).not.toMatch(/jane|lead\.person|\d{4} \d{4}/);
    }
    // The redacted placeholders did arrive, and the site's content is in the prompt.
    const all = sent.map((r) => JSON.stringify(r.body)).join('\n');
    for (const placeholder of ['[email]', '[phone]', '[card]', '[iban]']) expect(all).toContain(placeholder);
    expect(all).toContain('30 days of delivery');
    // The visitor's own transcript keeps what they wrote.
    const history = (await visitor.inject({ url: `/widget/v1/conversations/${conversationId}/messages` })).json() as { messages: { text: string }[] };
    expect(history.messages[0]!.text).toContain(pii.email);
  });
});

describe('rate limits', () => {
  async function appWith(env: Record<string, string>, llm?: OpenAiServer) {
    const t = await buildTestApp(database, { ...generous, ...env }, llm ? { llm: modelFor(llm) } : {});
    const { owner, site } = await siteWithPages(t);
    return { t, owner, site };
  }

  it('per visitor: the 4th message in the window → 429 with Retry-After; another visitor is unaffected', async () => {
    const { t, site } = await appWith({ CHAT_LIMIT_PER_VISITOR: '3/60' });
    try {
      const visitor = await visitorOf(t, site);
      for (let i = 0; i < 3; i++) expect((await visitor.chat(returnsQuestion)).res.statusCode).toBe(200);
      const refused = await visitor.chat(returnsQuestion);
      expect(refused.res.statusCode).toBe(429);
      expect(refused.res.json().error.code).toBe('rate_limited');
      expect(Number(refused.res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(refused.res.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(refused.res.headers['access-control-allow-origin']).toBe(origin);
      // A new session does not reset the visitor's window.
      await visitor.session(visitor.visitorId);
      expect((await visitor.chat(returnsQuestion)).res.statusCode).toBe(429);
      const other = await visitorOf(t, site);
      expect((await other.chat(returnsQuestion)).res.statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('new conversations per IP: the 3rd new one → 429; continuing one and other addresses still work', async () => {
    const { t, site } = await appWith({ CHAT_NEW_CONVERSATIONS_PER_IP: '2/3600' });
    try {
      const ip = '203.0.113.9';
      const chatFrom = (client: Awaited<ReturnType<typeof visitorOf>>, from: string, conversationId?: string) =>
        client.inject({ method: 'POST', url: '/widget/v1/chat', payload: { message: returnsQuestion, ...(conversationId ? { conversationId } : {}) }, remoteAddress: from });
      const a = await visitorOf(t, site);
      const b = await visitorOf(t, site);
      const c = await visitorOf(t, site);
      const first = await chatFrom(a, ip);
      expect(first.statusCode).toBe(200);
      expect((await chatFrom(b, ip)).statusCode).toBe(200);
      const third = await chatFrom(c, ip);
      expect(third.statusCode).toBe(429);
      expect(Number(third.headers['retry-after'])).toBeGreaterThan(60);
      const conversationId = (parseEvents(first.body)[0] as { conversationId: string }).conversationId;
      expect((await chatFrom(a, ip, conversationId)).statusCode).toBe(200);
      expect((await chatFrom(c, '203.0.113.10')).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('streams per site: with one slow stream open, the second → 429; other sites are unaffected; freed after', async () => {
    const held = await startOpenAiServer();
    const { t, site } = await appWith({ CHAT_MAX_STREAMS_PER_SITE: '1' }, held);
    const other = await siteWithPages(t);
    try {
      held.scriptNext([chatChunkEvent({ role: 'assistant', content: '' }), chatChunkEvent({ content: 'Thirty' }), { pauseMs: 1_500 }, chatChunkEvent({ content: ' days [1]' }, 'stop'), chatUsageEvent(100, 3), 'data: [DONE]\n\n']);
      const a = await visitorOf(t, site);
      const b = await visitorOf(t, site);
      const slowChat = a.chat(returnsQuestion);
      await eventually(() => held.chatStreams.length === 1);
      const refused = await b.chat(returnsQuestion);
      expect(refused.res.statusCode).toBe(429);
      expect(refused.res.json().error.code).toBe('rate_limited');
      expect(refused.res.headers['retry-after']).toBeDefined();
      const elsewhere = await visitorOf(t, other.site);
      expect((await elsewhere.chat(returnsQuestion)).res.statusCode).toBe(200);
      const finished = await slowChat;
      expect(textOf(finished.events)).toBe('Thirty days [1]');
      expect((await b.chat(returnsQuestion)).res.statusCode).toBe(200);
    } finally {
      await t.close();
      await held.close();
    }
  });
});
