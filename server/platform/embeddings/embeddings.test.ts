import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startOpenAiServer, type OpenAiServer } from '../../../test/fixtures/openai-server.ts';
import { AppError } from '../../errors.ts';
import { cosineSimilarity } from './embedder.ts';
import { createLocalEmbedder } from './local.ts';
import { createOpenAiEmbedder, type OpenAiEmbedderOptions } from './openai.ts';

const local = createLocalEmbedder();

async function sim(a: string, b: string): Promise<number> {
  const { vectors } = await local.embed([a, b], { purpose: 'document' });
  return cosineSimilarity(vectors[0]!, vectors[1]!);
}

const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe('local embedder', () => {
  it('is deterministic: same text, same vector, whatever the instance, batch or order', async () => {
    const texts = ['How do I delete my account?', 'Salasanan vaihtaminen onnistuu asetuksista.', 'Passwort zurücksetzen'];
    const a = await createLocalEmbedder().embed(texts);
    const b = await createLocalEmbedder().embed([...texts].reverse());
    expect(a.vectors).toEqual([...b.vectors].reverse());
    expect((await local.embed([texts[0]!])).vectors[0]).toEqual(a.vectors[0]);
    expect(a.usage).toEqual({ inputTokens: 12, costUsd: 0, model: 'cloop-local-hash-v1' });
  });

  it('returns unit vectors of the configured dimension for any text, empty included', async () => {
    const texts = ['', '   ', '!!! ???', '🙂', 'パスワードをリセット', 'a'.repeat(5000), 'word '.repeat(3000), 'Ünïcödé ß ÄÖÅ'];
    for (const dimension of [384, 256]) {
      const { vectors } = await createLocalEmbedder({ dimension }).embed(texts);
      for (const v of vectors) {
        expect(v).toHaveLength(dimension);
        expect(v.every(Number.isFinite)).toBe(true);
        expect(norm(v)).toBeCloseTo(1, 9);
      }
    }
  });

  it('validates its options and names the model after them', () => {
    expect(createLocalEmbedder().dimension).toBe(384);
    expect(createLocalEmbedder({ dimension: 256 }).model).toBe('cloop-local-hash-v1:d256');
    expect(createLocalEmbedder({ languages: ['Finnish', 'english'] }).model).toBe('cloop-local-hash-v1:english+finnish');
    expect(() => createLocalEmbedder({ languages: ['klingon'] })).toThrow(/languages/);
    expect(() => createLocalEmbedder({ dimension: 3.5 })).toThrow(/dimension/);
  });

  it('stops when the caller aborts', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(local.embed(['text'], { purpose: 'query', signal: controller.signal })).rejects.toThrow(/abort/i);
  });

  // One row per thing a visitor would notice: the question should land nearer the first text than the second.
  const orderings: [what: string, query: string, near: string, far: string][] = [
    ['paraphrase with synonyms', 'How do I delete my account?', 'Steps to remove your profile', 'Pricing of the enterprise plan'],
    ['typos', 'pasword resett', 'password reset', 'change your email address'],
    ['Finnish inflection', 'tilin poistaminen', 'poista tili', 'hinnasto ja maksutavat'],
    ['German compound', 'Passwortzurücksetzung', 'Passwort zurücksetzen', 'Preise und Tarife'],
    ['phrase synonym', 'How can I sign in?', 'Logging in to the dashboard', 'Install the browser extension'],
    ['phrase synonym', 'I want my money back', 'Our refund policy', 'Install the browser extension'],
    ['Swedish inflection', 'glömt lösenordet', 'återställ ditt lösenord', 'leveranstider och frakt'],
  ];
  it.each(orderings)('ranks %s: "%s" nearer "%s" than "%s"', async (what, query, near, far) => {
    const [close, distant] = [await sim(query, near), await sim(query, far)];
    console.log(`similarity (${what}): ${close.toFixed(3)} near vs ${distant.toFixed(3)} far`);
    expect(close).toBeGreaterThan(distant + 0.1);
  });

  it('embeds 300-word chunks fast enough to index a site on one core', async () => {
    const chunks = syntheticChunks(300, 300);
    const embedder = createLocalEmbedder();
    const cpuSeconds = async () => {
      const start = process.cpuUsage();
      await embedder.embed(chunks, { purpose: 'document' });
      const used = process.cpuUsage(start);
      return (used.user + used.system) / 1e6;
    };
    const cold = await cpuSeconds(); // every word new: stems and n-grams computed
    const warm = Math.min(await cpuSeconds(), await cpuSeconds()); // vocabulary cached, as in a steady crawl
    const rate = { coldChunksPerCpuSecond: Math.round(chunks.length / cold), warmChunksPerCpuSecond: Math.round(chunks.length / warm) };
    console.log(`local embedder throughput (300-word chunks): ${JSON.stringify(rate)}`);
    expect(rate.warmChunksPerCpuSecond).toBeGreaterThanOrEqual(500);
  });
});

/** Deterministic help-centre-like text: a Zipf-distributed vocabulary of made-up and common words. */
function syntheticChunks(count: number, words: number): string[] {
  let seed = 42;
  const random = () => {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    return seed / 2 ** 32;
  };
  const syllables = ['ka', 'lo', 'mi', 'set', 'ting', 'ac', 'count', 'pass', 'word', 're', 'de', 'lete', 'pro', 'file', 'in', 'stall', 'pri', 'cing', 'tion', 'er'];
  const common = 'the to and a of your you in is for on it can with this that be are or if from'.split(' ');
  const vocab = [...common];
  while (vocab.length < 6000) vocab.push(Array.from({ length: 2 + Math.floor(random() * 3) }, () => syllables[Math.floor(random() * syllables.length)]).join(''));
  const cumulative: number[] = [];
  vocab.reduce((sum, _, i) => (cumulative[i] = sum + 1 / (i + 1)), 0);
  const total = cumulative.at(-1)!;
  const pick = () => {
    const r = random() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < r) lo = mid + 1;
      else hi = mid;
    }
    return vocab[lo]!;
  };
  return Array.from({ length: count }, () => Array.from({ length: words }, pick).join(' '));
}

describe('OpenAI-compatible embedder against the loopback provider', () => {
  let provider: OpenAiServer;
  beforeEach(async () => {
    provider = await startOpenAiServer({ apiKey: 'sk-loopback-secret-1234', dimension: 16 });
  });
  afterEach(async () => {
    await provider.close();
  });

  const embedder = (over: Partial<OpenAiEmbedderOptions> = {}) =>
    createOpenAiEmbedder({ baseUrl: provider.baseUrl, apiKey: 'sk-loopback-secret-1234', model: 'test/embed-1', dimension: 16, retryBaseMs: 5, fetch: (url, init) => fetch(url, init), ...over });

  async function failureOf(promise: Promise<unknown>): Promise<AppError> {
    const err = await promise.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }

  it('sends batches of batchSize, keeps input order and reports usage and cost', async () => {
    const texts = Array.from({ length: 150 }, (_, i) => `chunk number ${i}`);
    const { vectors, usage } = await embedder({ pricePerMillionTokens: 0.02 }).embed(texts, { purpose: 'document' });
    expect(provider.requests.map((r) => (r.body as { input: string[] }).input.length)).toEqual([64, 64, 22]);
    expect(provider.requests[0]!.body).toEqual({ model: 'test/embed-1', input: texts.slice(0, 64) });
    expect(provider.requests[0]!.headers.authorization).toBe('Bearer sk-loopback-secret-1234');
    expect(vectors).toEqual(texts.map((t) => provider.vectorFor(t)));
    const tokens = texts.reduce((s, t) => s + provider.tokensFor(t), 0);
    expect(usage).toEqual({ inputTokens: tokens, costUsd: (tokens * 0.02) / 1e6, model: 'test/embed-1' });
  });

  it('puts items back in index order when the provider returns them shuffled', async () => {
    const reversed = await startOpenAiServer({ apiKey: 'k', dimension: 16, reverseEmbeddings: true });
    try {
      const texts = ['one', 'two', 'three'];
      const { vectors } = await embedder({ baseUrl: reversed.baseUrl, apiKey: 'k' }).embed(texts);
      expect(vectors).toEqual(texts.map((t) => reversed.vectorFor(t)));
    } finally {
      await reversed.close();
    }
  });

  it('waits as long as Retry-After says after a 429, then succeeds', async () => {
    provider.failNext(1, 429, 1);
    const started = Date.now();
    const { vectors } = await embedder().embed(['hello']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    expect(vectors).toEqual([provider.vectorFor('hello')]);
    expect(provider.requests).toHaveLength(2);
  });

  it('retries a 500 and succeeds', async () => {
    provider.failNext(1, 500);
    const retries: unknown[] = [];
    const { vectors } = await embedder({ onRetry: (info) => retries.push(info) }).embed(['hello']);
    expect(vectors).toEqual([provider.vectorFor('hello')]);
    expect(retries).toMatchObject([{ attempt: 1, status: 500, reason: 'server_error' }]);
  });

  it('gives up with embedding_failed after 4 tries of a persistent failure', async () => {
    provider.failNext(10, 503);
    const err = await failureOf(embedder().embed(['hello']));
    expect(err.code).toBe('embedding_failed');
    expect(err.status).toBe(502);
    expect(err.details).toEqual({ status: 503, reason: 'server_error' });
    expect(err.message).toMatch(/4 attempts/);
    expect(provider.requests).toHaveLength(4);
  });

  it('does not hold a call for a Retry-After beyond the limit', async () => {
    provider.failNext(1, 429, 120);
    const err = await failureOf(embedder().embed(['hello']));
    expect(err.details).toEqual({ status: 429, reason: 'rate_limited' });
    expect(provider.requests).toHaveLength(1);
  });

  it('rejects vectors of the wrong length without retrying', async () => {
    const err = await failureOf(embedder({ dimension: 8 }).embed(['hello']));
    expect(err.code).toBe('embedding_failed');
    expect(err.details).toEqual({ status: 200, reason: 'dimension_mismatch' });
    expect(provider.requests).toHaveLength(1);
  });

  it('keeps the API key out of errors even when the provider echoes it', async () => {
    const key = 'sk-wrong-key-that-must-not-leak';
    const retries: unknown[] = [];
    const err = await failureOf(embedder({ apiKey: key, onRetry: (i) => retries.push(i) }).embed(['hello']));
    expect(err.details).toEqual({ status: 401, reason: 'unauthorized' });
    expect(provider.requests).toHaveLength(1);
    const everything = [err.message, String(err), err.stack, JSON.stringify(err), JSON.stringify(err.details), JSON.stringify(retries)].join('\n');
    expect(everything).not.toContain(key);
    expect(everything).not.toContain('sk-wrong');
  });

  it('times out a call that never answers, and retries it', async () => {
    provider.stallNext(2);
    const err = await failureOf(embedder({ timeoutMs: 150, maxAttempts: 2 }).embed(['hello']));
    expect(err.details).toEqual({ status: null, reason: 'timeout' });
    expect(provider.requests).toHaveLength(2);
  });

  it('reports an unreachable provider as a network failure', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const { port } = closed.address() as AddressInfo;
    await new Promise((r) => closed.close(r));
    const err = await failureOf(embedder({ baseUrl: `http://127.0.0.1:${port}/v1/`, maxAttempts: 2 }).embed(['hello']));
    expect(err.details).toEqual({ status: null, reason: 'network' });
  });

  it("passes the caller's abort through instead of retrying", async () => {
    provider.stallNext(1);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(embedder().embed(['hello'], { purpose: 'query', signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(provider.requests).toHaveLength(1);
  });

  it('adds the purpose prefix, asks for dimensions, and truncates Matryoshka vectors', async () => {
    const e = embedder({ dimension: 8, truncate: true, sendDimensions: true, prefix: { query: 'query: ' } });
    const { vectors } = await e.embed(['', 'refund?'], { purpose: 'query' });
    expect(provider.requests[0]!.body).toEqual({ model: 'test/embed-1', input: ['query: ', 'query: refund?'], dimensions: 8 });
    for (const v of vectors) {
      expect(v).toHaveLength(8);
      expect(norm(v)).toBeCloseTo(1, 9);
    }
    await e.embed([''], { purpose: 'document' });
    expect((provider.requests[1]!.body as { input: string[] }).input).toEqual([' ']);
  });
});

describe('loopback provider chat stream (for the chat tests)', () => {
  it('streams the configured answer token by token, then usage, then [DONE]', async () => {
    const provider = await startOpenAiServer({ tokenDelayMs: 1 });
    try {
      provider.setAnswer((messages) => `Answer to: ${messages.at(-1)!.content}`);
      const res = await fetch(`${provider.baseUrl}chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer test-key', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'how much?' }] }),
      });
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      const events = (await res.text()).split('\n\n').filter(Boolean).map((e) => e.replace(/^data: /, ''));
      expect(events.at(-1)).toBe('[DONE]');
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as { object: string; choices: { delta: { content?: string } }[]; usage?: { completion_tokens: number } });
      expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
      expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Answer to: how much?');
      expect(chunks.at(-1)!.usage).toMatchObject({ completion_tokens: 4 });
      expect(provider.requests[0]!.body).toMatchObject({ messages: [{ role: 'user', content: 'how much?' }] });
    } finally {
      await provider.close();
    }
  });
});
