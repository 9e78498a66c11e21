import { setTimeout as sleep } from 'node:timers/promises';
import { appError, type AppError } from '../../errors.ts';
import { estimatePromptTokens, estimateTokens, type ChatModel, type LlmEvent, type LlmRequest } from './types.ts';
import { retryAfterMs } from '../provider-response.ts';
import { llmFailureText, parseChatChunk, type ChatChunk, type LlmFailure } from './openai-chunk.ts';
import { createSseParser } from './sse.ts';

export type { LlmFailure } from './openai-chunk.ts';

/** Nebius AI Studio's OpenAI-compatible API, the default provider. */
export const defaultLlmBaseUrl = 'https://api.studio.nebius.com/v1/';

/** Settings for `createOpenAiChatModel`. */
export interface OpenAiChatModelOptions {
  /** API root ending in `/v1/` (default `defaultLlmBaseUrl`); `chat/completions` is appended. */
  baseUrl?: string;
  apiKey: string;
  model: string;
  /** The HTTP client: must hand back `Response.body` as it arrives for tokens to stream (global fetch in tests). */
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  /** The whole call, retry and streamed body included (default 120 s). */
  timeoutMs?: number;
  /** Per attempt, until the first answer token; afterwards the longest silence between tokens (default 20 s). */
  firstTokenTimeoutMs?: number;
  /** The retry waits about this long with jitter, unless `Retry-After` says longer (default 300 ms). */
  retryBaseMs?: number;
  /** A `Retry-After` longer than this fails the call instead of holding the visitor (default 5 s). */
  maxRetryAfterMs?: number;
  /** Called before the retry (for logging); carries no secrets. */
  onRetry?: (info: { status: number | null; reason: LlmFailure; waitMs: number }) => void;
}

type Failure = { status: number | null; reason: LlmFailure; retry: boolean; retryAfterMs?: number };
/** What one attempt streamed, kept for the usage estimate and the no-retry-after-a-token rule. */
type Progress = { text: string; tokens: number; usage: ChatChunk['usage'] };

/**
 * A chat model on any OpenAI-compatible `POST /chat/completions` endpoint, streamed
 * (`stream_options.include_usage`). Tokens are yielded as their server-sent events arrive, then one
 * `usage` event (estimated at 4 characters a token when the provider sends none). A request that
 * fails before the first token (network, timeout, 429, 5xx) is retried once, honouring a short
 * `Retry-After`; nothing is retried once a token went out. A stream that breaks midway yields an
 * estimated `usage` and then throws. Failures are AppError `llm_failed` with `{ status, reason }`
 * only: the API key and the provider's text never leave this module. Aborting `signal` cancels
 * the HTTP body and throws the abort reason.
 */
export function createOpenAiChatModel(opts: OpenAiChatModelOptions): ChatModel {
  const base = opts.baseUrl ?? defaultLlmBaseUrl;
  const url = new URL('chat/completions', base.endsWith('/') ? base : `${base}/`).href;
  if (!/^https?:$/.test(new URL(url).protocol)) throw new RangeError('baseUrl must be an http(s) URL');
  const { model } = opts;
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const firstTokenTimeoutMs = opts.firstTokenTimeoutMs ?? 20_000;
  const retryBaseMs = opts.retryBaseMs ?? 300;
  const maxRetryAfterMs = opts.maxRetryAfterMs ?? 5_000;
  const headers = { authorization: `Bearer ${opts.apiKey}`, 'content-type': 'application/json', accept: 'text/event-stream' };

  /** One HTTP request and its stream; returns null when the answer completed, else why it failed. */
  async function* attempt(req: LlmRequest, body: string, deadline: AbortSignal, progress: Progress): AsyncGenerator<LlmEvent, Failure | null> {
    const { signal } = req;
    // One timer per attempt, not one per token: a token moves `heardAt`; when the timer fires early
    // it re-arms for the rest of the silence. While the caller holds a token, nothing is counted.
    const stall = new AbortController();
    let heardAt = performance.now();
    let holding = false;
    const checkStall = () => {
      const silentMs = holding ? 0 : performance.now() - heardAt;
      if (silentMs >= firstTokenTimeoutMs) stall.abort(new Error('no token in time'));
      else stallTimer = setTimeout(checkStall, firstTokenTimeoutMs - silentMs).unref();
    };
    let stallTimer = setTimeout(checkStall, firstTokenTimeoutMs).unref();
    const both = AbortSignal.any([signal, deadline, stall.signal]);
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    // Not every fetch ties the body to the signal: cancelling the reader ends a pending read either way.
    const onAbort = () => void reader?.cancel().catch(() => {});
    both.addEventListener('abort', onAbort, { once: true });
    let status: number | null = null;

    const fail = (reason: LlmFailure, retry: boolean, retryAfter?: number): Failure => ({
      status,
      reason,
      retry: retry && progress.tokens === 0 && !deadline.aborted,
      ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}),
    });
    const thrown = (err: unknown): Failure => {
      if (signal.aborted) throw signal.reason;
      if (deadline.aborted || stall.signal.aborted) return fail('timeout', true);
      // The injected fetcher may refuse the address itself (SSRF rules) or time out on its own clock.
      const e = err as { code?: unknown; details?: { reason?: unknown } } | null;
      if (e?.code === 'url_not_allowed') return fail('refused', false);
      return fail(e?.details?.reason === 'timeout' ? 'timeout' : 'network', true);
    };

    try {
      let res: Response;
      try {
        res = await opts.fetch(url, { method: 'POST', headers, body, signal: both });
      } catch (err) {
        return thrown(err);
      }
      status = res.status;
      if (!res.ok) {
        await res.text().catch(() => ''); // read and dropped: it may echo the key
        if (status === 429) return fail('rate_limited', true, retryAfterMs(res.headers));
        if (status >= 500 || status === 408) return fail('server_error', true, retryAfterMs(res.headers));
        return fail(status === 401 || status === 403 ? 'unauthorized' : 'rejected', false);
      }
      if (!res.body) return fail('invalid_response', false);
      reader = res.body.getReader();
      if (both.aborted) onAbort();
      const decoder = new TextDecoder();
      const parser = createSseParser();
      // A server that ignored `stream: true` answers with one JSON completion: parsed whole as one event.
      const whole = (res.headers.get('content-type') ?? '').includes('application/json');
      let raw = '';
      let finished = false; // `[DONE]` arrived
      let ended = false; // choice 0 reported its finish reason (some servers then close without `[DONE]`)
      for (;;) {
        let read: ReadableStreamReadResult<Uint8Array>;
        try {
          read = await reader.read();
        } catch (err) {
          const failure = thrown(err);
          // The connection broke after the headers: the stream was cut, whatever the transport said.
          return failure.reason === 'network' ? fail('interrupted', true) : failure;
        }
        if (both.aborted) return thrown(both.reason);
        const text = read.done ? decoder.decode() : decoder.decode(read.value, { stream: true });
        let payloads: string[];
        if (whole) {
          raw += text;
          payloads = read.done ? [raw] : [];
          finished = read.done; // complete JSON or invalid_response: never cut
        } else payloads = [...parser.push(text), ...(read.done ? parser.end() : [])].map((e) => e.data);
        for (const data of payloads) {
          if (data.trim() === '[DONE]') {
            finished = true;
            break;
          }
          const chunk = parseChatChunk(data);
          if (!chunk) return fail('invalid_response', false);
          if (chunk.error) return fail('server_error', true);
          if (chunk.usage) progress.usage = chunk.usage;
          if (chunk.content) {
            progress.text += chunk.content;
            progress.tokens++;
            holding = true; // the caller's time with the token is not the provider's silence
            yield { type: 'token', text: chunk.content };
            holding = false;
            heardAt = performance.now();
            if (both.aborted) return thrown(both.reason); // aborted while the caller held the token
          }
          if (chunk.finishReason) ended = true;
        }
        if (finished || read.done) break;
      }
      // Neither `[DONE]` nor a finish reason: the stream was cut and the answer may be incomplete.
      if (!finished && !ended) return fail('interrupted', true);
      return null;
    } finally {
      clearTimeout(stallTimer);
      both.removeEventListener('abort', onAbort);
      void reader?.cancel().catch(() => {});
    }
  }

  return {
    model,
    provider: 'openai',
    async *stream(req: LlmRequest): AsyncGenerator<LlmEvent> {
      const { signal } = req;
      signal.throwIfAborted();
      // A timer cleared at the end (AbortSignal.timeout would fire, and allocate, long after every call).
      const deadlineController = new AbortController();
      const deadlineTimer = setTimeout(() => deadlineController.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), timeoutMs).unref();
      const deadline = deadlineController.signal;
      const body = JSON.stringify({
        model,
        messages: req.messages.map(({ role, content }) => ({ role, content })),
        max_tokens: req.maxTokens,
        ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
        stream: true,
        stream_options: { include_usage: true },
      });
      const usageOf = (p: Progress): LlmEvent => ({
        type: 'usage',
        inputTokens: p.usage?.inputTokens ?? estimatePromptTokens(req.messages),
        outputTokens: p.usage?.outputTokens ?? estimateTokens(p.text),
      });
      try {
        for (let n = 1; ; n++) {
          const progress: Progress = { text: '', tokens: 0, usage: null };
          const failure = yield* attempt(req, body, deadline, progress);
          if (!failure) {
            yield usageOf(progress);
            return;
          }
          if (progress.tokens > 0) {
            yield usageOf(progress); // the tokens already streamed were consumed and are metered
            throw llmFailed(failure, n);
          }
          if (!failure.retry || n >= 2) throw llmFailed(failure, n);
          const jittered = retryBaseMs / 2 + Math.random() * (retryBaseMs / 2);
          const waitMs = Math.max(failure.retryAfterMs ?? 0, jittered);
          if (waitMs > maxRetryAfterMs) throw llmFailed(failure, n);
          opts.onRetry?.({ status: failure.status, reason: failure.reason, waitMs: Math.round(waitMs) });
          try {
            await sleep(waitMs, undefined, { signal: AbortSignal.any([signal, deadline]) });
          } catch {
            signal.throwIfAborted();
            throw llmFailed({ status: failure.status, reason: 'timeout', retry: false }, n);
          }
        }
      } finally {
        clearTimeout(deadlineTimer);
      }
    },
  };
}

function llmFailed(failure: Failure, attempts: number): AppError {
  const { status, reason } = failure;
  const tries = attempts === 1 ? '1 attempt' : `${attempts} attempts`;
  return appError('llm_failed', `The language model failed: ${llmFailureText[reason]}${status ? ` (HTTP ${status})` : ''} after ${tries}.`, { status, reason });
}
