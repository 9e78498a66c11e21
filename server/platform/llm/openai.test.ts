import { createServer, type AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chatChunkEvent, chatUsageEvent, startOpenAiServer, type OpenAiServer } from '../../../test/fixtures/openai-server.ts';
import { AppError } from '../../errors.ts';
import { fetcherAsFetch, fetcherAsStream } from '../fetch/as-fetch.ts';
import { createFetcher } from '../fetch/fetcher.ts';
import { createOpenAiChatModel, type OpenAiChatModelOptions } from './openai.ts';
import { estimatePromptTokens, estimateTokens, type LlmEvent, type LlmMessage, type LlmRequest } from './types.ts';

const key = 'sk-loopback-chat-secret-5678';
const messages: LlmMessage[] = [
  { role: 'system', content: 'Answer from the site content only.' },
  { role: 'user', content: 'How do I reset my password?' },
];

let provider: OpenAiServer;
beforeEach(async () => {
  provider = await startOpenAiServer({ apiKey: key });
  provider.setAnswer(() => 'Open Settings and choose Reset password [1].');
});
afterEach(async () => {
  await provider.close();
});

const model = (over: Partial<OpenAiChatModelOptions> = {}) =>
  createOpenAiChatModel({ baseUrl: provider.baseUrl, apiKey: key, model: 'test/chat-1', retryBaseMs: 5, fetch: (url, init) => fetch(url, init), ...over });

const request = (over: Partial<LlmRequest> = {}): LlmRequest => ({ messages, maxTokens: 200, signal: new AbortController().signal, ...over });

/** Runs a stream to its end: the events before it ended, and the error it threw (or null). */
async function drain(stream: AsyncIterable<LlmEvent>): Promise<{ events: LlmEvent[]; error: unknown }> {
  const events: LlmEvent[] = [];
  try {
    for await (const ev of stream) events.push(ev);
    return { events, error: null };
  } catch (error) {
    return { events, error };
  }
}

const textOf = (events: LlmEvent[]) => events.map((e) => (e.type === 'token' ? e.text : '')).join('');

function llmError(error: unknown): AppError {
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe('llm_failed');
  return error as AppError;
}

describe('OpenAI-compatible chat model against the loopback provider', () => {
  it('sends a streamed chat-completions request and yields the answer, then the provider usage', async () => {
    const { events, error } = await drain(model().stream(request({ temperature: 0.2 })));
    expect(error).toBeNull();
    expect(textOf(events)).toBe('Open Settings and choose Reset password [1].');
    expect(events.filter((e) => e.type === 'token').length).toBe(7);
    const promptTokens = messages.reduce((s, m) => s + provider.tokensFor(m.content), 0);
    expect(events.at(-1)).toEqual({ type: 'usage', inputTokens: promptTokens, outputTokens: 7 });
    expect(provider.requests).toHaveLength(1);
    expect(provider.requests[0]!.path).toBe('/v1/chat/completions');
    expect(provider.requests[0]!.body).toEqual({ model: 'test/chat-1', messages, max_tokens: 200, temperature: 0.2, stream: true, stream_options: { include_usage: true } });
    expect(provider.requests[0]!.headers.authorization).toBe(`Bearer ${key}`);
  });

  it('yields each token as it arrives, before the provider has finished', async () => {
    const slow = await startOpenAiServer({ apiKey: key, tokenDelayMs: 40 });
    try {
      slow.setAnswer(() => 'one two three four five');
      for await (const ev of model({ baseUrl: slow.baseUrl }).stream(request())) {
        expect(ev).toEqual({ type: 'token', text: 'one' });
        expect(slow.chatStreams[0]!.completed).toBe(false);
        expect(slow.chatStreams[0]!.tokensSent).toBeLessThan(5);
        break;
      }
    } finally {
      await slow.close();
    }
  });

  it('parses a stream split mid-line and mid-character, with keep-alives, CRLF and multi-line data', async () => {
    const event = chatChunkEvent({ content: 'Grüße ' });
    const bytes = Buffer.from(event);
    const at = bytes.indexOf(Buffer.from('ü')) + 1; // inside the two bytes of ü
    provider.scriptNext([
      ': keep-alive\n\n',
      chatChunkEvent({ role: 'assistant', content: '' }),
      bytes.subarray(0, at),
      { pauseMs: 5 },
      bytes.subarray(at),
      'data: {"choices":[{"index":0,',
      { pauseMs: 5 },
      '"delta":{"content":"aus "}}]}\r\n\r\n',
      ': OPENROUTER PROCESSING\n\n',
      'data: {"choices":[{"index":0,\ndata: "delta":{"content":"Helsinki"},"finish_reason":null}]}\n\n',
      chatChunkEvent({}, 'stop'),
      chatUsageEvent(30, 3),
      'data: [DONE]\n\n',
    ]);
    const { events, error } = await drain(model().stream(request()));
    expect(error).toBeNull();
    expect(events).toEqual([
      { type: 'token', text: 'Grüße ' },
      { type: 'token', text: 'aus ' },
      { type: 'token', text: 'Helsinki' },
      { type: 'usage', inputTokens: 30, outputTokens: 3 },
    ]);
  });

  it('estimates usage at 4 characters a token when the provider sends none', async () => {
    provider.scriptNext([chatChunkEvent({ content: 'Twelve chars' }), chatChunkEvent({ content: ' and more' }, 'stop'), 'data: [DONE]\n\n']);
    const { events } = await drain(model().stream(request()));
    expect(events.at(-1)).toEqual({ type: 'usage', inputTokens: estimatePromptTokens(messages), outputTokens: estimateTokens('Twelve chars and more') });
  });

  it('accepts a stream that ends after the finish reason without [DONE]', async () => {
    provider.scriptNext([chatChunkEvent({ content: 'Done.' }, 'stop')]);
    const { events, error } = await drain(model().stream(request()));
    expect(error).toBeNull();
    expect(textOf(events)).toBe('Done.');
  });

  it('reads a whole JSON completion from a server that ignored stream: true', async () => {
    const completion = { choices: [{ index: 0, message: { role: 'assistant', content: 'All at once.' }, finish_reason: 'stop' }], usage: { prompt_tokens: 9, completion_tokens: 4 } };
    provider.scriptNext([JSON.stringify(completion)], 'application/json');
    const { events } = await drain(model().stream(request()));
    expect(events).toEqual([{ type: 'token', text: 'All at once.' }, { type: 'usage', inputTokens: 9, outputTokens: 4 }]);
  });

  it('ignores reasoning text that some models stream beside the answer', async () => {
    provider.scriptNext([chatChunkEvent({ reasoning_content: 'thinking…' }), chatChunkEvent({ content: 'Answer.' }, 'stop'), 'data: [DONE]\n\n']);
    const { events } = await drain(model().stream(request()));
    expect(textOf(events)).toBe('Answer.');
  });

  it('retries a 500 before the first token once, and succeeds', async () => {
    provider.failNext(1, 500);
    const retries: unknown[] = [];
    const { events, error } = await drain(model({ onRetry: (info) => retries.push(info) }).stream(request()));
    expect(error).toBeNull();
    expect(textOf(events)).toBe('Open Settings and choose Reset password [1].');
    expect(provider.requests).toHaveLength(2);
    expect(retries).toMatchObject([{ status: 500, reason: 'server_error' }]);
  });

  it('waits as long as Retry-After says after a 429, then succeeds', async () => {
    provider.failNext(1, 429, 1);
    const started = Date.now();
    const { error } = await drain(model().stream(request()));
    expect(error).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    expect(provider.requests).toHaveLength(2);
  });

  it('fails at once when Retry-After is longer than the visitor should wait', async () => {
    provider.failNext(1, 429, 60);
    const started = Date.now();
    const err = llmError((await drain(model().stream(request()))).error);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(err.details).toEqual({ status: 429, reason: 'rate_limited' });
    expect(provider.requests).toHaveLength(1);
  });

  it('gives up after one retry of a persistent 503', async () => {
    provider.failNext(5, 503);
    const { events, error } = await drain(model().stream(request()));
    const err = llmError(error);
    expect(events).toEqual([]);
    expect(err.status).toBe(502);
    expect(err.details).toEqual({ status: 503, reason: 'server_error' });
    expect(err.message).toMatch(/2 attempts/);
    expect(provider.requests).toHaveLength(2);
  });

  it('does not retry a refused key, and keeps the key and the provider text out of the error', async () => {
    const wrong = 'sk-wrong-chat-key-that-must-not-leak';
    const retries: unknown[] = [];
    const err = llmError((await drain(model({ apiKey: wrong, onRetry: (i) => retries.push(i) }).stream(request()))).error);
    expect(err.details).toEqual({ status: 401, reason: 'unauthorized' });
    expect(provider.requests).toHaveLength(1);
    const everything = [err.message, String(err), err.stack, JSON.stringify(err), JSON.stringify(err.details), JSON.stringify(retries)].join('\n');
    expect(everything).not.toContain(wrong);
    expect(everything).not.toContain('sk-wrong');
    expect(everything).not.toMatch(/Incorrect API key/);
  });

  it('does not retry a rejected request (400)', async () => {
    const err = llmError((await drain(model().stream(request({ messages: [] })))).error);
    expect(err.details).toEqual({ status: 400, reason: 'rejected' });
    expect(provider.requests).toHaveLength(1);
  });

  it('reports an unreachable provider as a network failure after one retry', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const { port } = closed.address() as AddressInfo;
    await new Promise((r) => closed.close(r));
    const err = llmError((await drain(model({ baseUrl: `http://127.0.0.1:${port}/v1/` }).stream(request()))).error);
    expect(err.details).toEqual({ status: null, reason: 'network' });
  });

  it('times out a provider that never answers, retrying once', async () => {
    provider.stallNext(2);
    const err = llmError((await drain(model({ firstTokenTimeoutMs: 150 }).stream(request()))).error);
    expect(err.details).toEqual({ status: null, reason: 'timeout' });
    // The retry may reach the loopback server just after the client gave up on it (a loaded machine).
    for (let i = 0; i < 40 && provider.requests.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(provider.requests).toHaveLength(2);
  });

  it('retries a stream that opens but sends no token in time', async () => {
    provider.scriptNext([chatChunkEvent({ role: 'assistant', content: '' }), { pauseMs: 2_000 }]);
    const started = Date.now();
    const { events, error } = await drain(model({ firstTokenTimeoutMs: 200 }).stream(request()));
    expect(error).toBeNull();
    expect(textOf(events)).toBe('Open Settings and choose Reset password [1].');
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(provider.requests).toHaveLength(2);
  });

  it('retries a stream that breaks before its first token', async () => {
    provider.scriptNext([chatChunkEvent({ role: 'assistant', content: '' }), 'cut']);
    const { events, error } = await drain(model().stream(request()));
    expect(error).toBeNull();
    expect(textOf(events)).toBe('Open Settings and choose Reset password [1].');
    expect(provider.requests).toHaveLength(2);
  });

  it('never retries after a token: a stream cut midway yields its tokens and usage, then throws', async () => {
    provider.cutNextAfter(3);
    const { events, error } = await drain(model().stream(request()));
    const err = llmError(error);
    expect(err.details).toEqual({ status: 200, reason: 'interrupted' });
    expect(textOf(events)).toBe('Open Settings and');
    expect(events.at(-1)).toEqual({ type: 'usage', inputTokens: estimatePromptTokens(messages), outputTokens: estimateTokens('Open Settings and') });
    expect(provider.requests).toHaveLength(1);
  });

  it('treats a stream that ends without [DONE] or a finish reason as cut', async () => {
    provider.scriptNext([chatChunkEvent({ content: 'Half an' }), chatChunkEvent({ content: ' answer' })]);
    const { events, error } = await drain(model().stream(request()));
    expect(llmError(error).details).toEqual({ status: 200, reason: 'interrupted' });
    expect(textOf(events)).toBe('Half an answer');
    expect(provider.requests).toHaveLength(1);
  });

  it('retries an error event that arrives before the first token', async () => {
    provider.scriptNext([`data: ${JSON.stringify({ error: { message: `upstream failed for ${key}`, code: 500 } })}\n\n`]);
    const { events, error } = await drain(model().stream(request()));
    expect(error).toBeNull();
    expect(textOf(events)).toBe('Open Settings and choose Reset password [1].');
  });

  it('fails without retrying on a chunk that is not JSON', async () => {
    provider.scriptNext(['data: <html>Bad gateway</html>\n\n']);
    const err = llmError((await drain(model().stream(request()))).error);
    expect(err.details).toEqual({ status: 200, reason: 'invalid_response' });
    expect(provider.requests).toHaveLength(1);
  });

  it("stops reading and cancels the HTTP body when the caller aborts, throwing the caller's reason", async () => {
    const slow = await startOpenAiServer({ apiKey: key, tokenDelayMs: 30 });
    try {
      slow.setAnswer(() => Array.from({ length: 50 }, (_, i) => `w${i}`).join(' '));
      const controller = new AbortController();
      const seen: LlmEvent[] = [];
      let thrown: unknown;
      try {
        for await (const ev of model({ baseUrl: slow.baseUrl }).stream(request({ signal: controller.signal }))) {
          seen.push(ev);
          if (seen.length === 2) controller.abort();
        }
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toMatchObject({ name: 'AbortError' });
      expect(seen).toHaveLength(2);
      await expect.poll(() => slow.chatStreams[0]!.clientGone).toBe(true);
      expect(slow.chatStreams[0]!.completed).toBe(false);
      expect(slow.chatStreams[0]!.tokensSent).toBeLessThan(10);
      expect(slow.requests).toHaveLength(1);
    } finally {
      await slow.close();
    }
  });

  it('yields nothing more after an abort, even from tokens that arrived in the same read', async () => {
    provider.scriptNext([['a', 'b', 'c', 'd'].map((t) => chatChunkEvent({ content: t })).join(''), { pauseMs: 200 }, chatChunkEvent({ content: 'e' }, 'stop'), 'data: [DONE]\n\n']);
    const controller = new AbortController();
    const seen: LlmEvent[] = [];
    const run = async () => {
      for await (const ev of model().stream(request({ signal: controller.signal }))) {
        seen.push(ev);
        controller.abort();
      }
    };
    await expect(run()).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual([{ type: 'token', text: 'a' }]);
  });

  it('does not count time the caller spends on a token as provider silence', async () => {
    const events: LlmEvent[] = [];
    for await (const ev of model({ firstTokenTimeoutMs: 100 }).stream(request())) {
      events.push(ev);
      if (events.length <= 2) await new Promise((r) => setTimeout(r, 250));
    }
    expect(textOf(events)).toBe('Open Settings and choose Reset password [1].');
  });

  it('cancels the HTTP body when the caller stops iterating', async () => {
    const slow = await startOpenAiServer({ apiKey: key, tokenDelayMs: 30 });
    try {
      slow.setAnswer(() => Array.from({ length: 50 }, (_, i) => `w${i}`).join(' '));
      for await (const ev of model({ baseUrl: slow.baseUrl }).stream(request())) if (ev.type === 'token') break;
      await expect.poll(() => slow.chatStreams[0]!.clientGone).toBe(true);
      expect(slow.chatStreams[0]!.completed).toBe(false);
    } finally {
      await slow.close();
    }
  });

  it('does not start when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(drain(model().stream(request({ signal: controller.signal })))).resolves.toMatchObject({ events: [], error: { name: 'AbortError' } });
    expect(provider.requests).toHaveLength(0);
  });

  it('works through the SSRF-safe fetcher in its buffered mode (the tokens arrive together at the end)', async () => {
    const port = Number(new URL(provider.baseUrl).port);
    const fetcher = createFetcher({ allowedPorts: [port], allowList: ['127.0.0.1'], userAgent: 'CloopTest/1.0' });
    try {
      const { events, error } = await drain(model({ fetch: fetcherAsFetch(fetcher) }).stream(request()));
      expect(error).toBeNull();
      expect(textOf(events)).toBe('Open Settings and choose Reset password [1].');
      provider.failNext(1, 503);
      expect((await drain(model({ fetch: fetcherAsFetch(fetcher) }).stream(request()))).error).toBeNull();
      expect(provider.requests).toHaveLength(3);
    } finally {
      await fetcher.close();
    }
  });

  it("streams token by token through the fetcher's streaming request, and its abort reaches the provider", async () => {
    const slow = await startOpenAiServer({ apiKey: key, tokenDelayMs: 30 });
    const port = Number(new URL(slow.baseUrl).port);
    const fetcher = createFetcher({ allowedPorts: [port], allowList: ['127.0.0.1'], userAgent: 'CloopTest/1.0' });
    try {
      slow.setAnswer(() => Array.from({ length: 50 }, (_, i) => `w${i}`).join(' '));
      const streaming = model({ baseUrl: slow.baseUrl, stream: fetcherAsStream(fetcher, { totalMs: 10_000 }) });
      const controller = new AbortController();
      const seen: LlmEvent[] = [];
      const run = async () => {
        for await (const ev of streaming.stream(request({ signal: controller.signal }))) {
          seen.push(ev);
          expect(slow.chatStreams[0]!.completed).toBe(false);
          if (seen.length === 3) controller.abort();
        }
      };
      await expect(run()).rejects.toMatchObject({ name: 'AbortError' });
      expect(textOf(seen)).toBe('w0 w1 w2');
      await expect.poll(() => slow.chatStreams[0]!.clientGone).toBe(true);
    } finally {
      await fetcher.close();
      await slow.close();
    }
  });

  it('validates its base URL', () => {
    expect(() => model({ baseUrl: 'ftp://example.com/v1/' })).toThrow(/http/);
    expect(model().provider).toBe('openai');
    expect(model().model).toBe('test/chat-1');
  });
});
