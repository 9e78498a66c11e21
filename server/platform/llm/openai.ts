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
  /** The HTTP client as a fetch function: must hand back `Response.body` as it arrives for tokens to stream (global fetch in tests). */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
  /**
   * Or a streaming request (the SSRF-safe fetcher's `stream`): the body's chunks reach the SSE
   * parser with no WebStreams layer in between. One of `fetch` and `stream` is required.
   */
  stream?: (url: string, init: ProviderRequest) => Promise<ProviderResponse>;
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

/** One provider request, as `stream` receives it. */
export interface ProviderRequest {
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  signal: AbortSignal;
}

/** A provider response whose body is read as it arrives; `body.return()` stops it. */
export interface ProviderResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: AsyncIterable<Uint8Array> | null;
}

/** `fetch` in the shape of `stream`; cancelling the reader ends a pending read even when the fetch ignores the signal. */
function streamOverFetch(fetchFn: (url: string, init: RequestInit) => Promise<Response>) {
  return async (url: string, init: ProviderRequest): Promise<ProviderResponse> => {
    const res = await fetchFn(url, init);
    const headers: Record<string, string> = {};
    res.headers.forEach((value, name) => (headers[name] = value));
    const reader = res.body?.getReader();
    const chunks: AsyncIterator<Uint8Array> = {
      next: () => reader!.read() as Promise<IteratorResult<Uint8Array>>,
      return: async () => {
        await reader?.cancel().catch(() => {});
        return { done: true, value: undefined };
      },
    };
    return { status: res.status, headers, body: reader ? { [Symbol.asyncIterator]: () => chunks } : null };
  };
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
  if (!opts.stream && !opts.fetch) throw new TypeError('createOpenAiChatModel needs fetch or stream');
  const request = opts.stream ?? streamOverFetch(opts.fetch!);

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
    let chunks: AsyncIterator<Uint8Array> | undefined;
    const stop = () => void chunks?.return?.()?.catch(() => {});
    // The request's signal ends a pending read of the body; stopping the iterator covers a client that does not tie them.
    both.addEventListener('abort', stop, { once: true });
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
      let res: ProviderResponse;
      try {
        res = await request(url, { method: 'POST', headers, body, signal: both });
      } catch (err) {
        return thrown(err);
      }
      status = res.status;
      if (res.body) chunks = res.body[Symbol.asyncIterator]();
      if (status < 200 || status > 299) {
        // Read and dropped: it may echo the key.
        try {
          while (chunks && !(await chunks.next()).done);
        } catch {
          // the status says enough
        }
        const wait = () => retryAfterMs(new Headers(res.headers));
        if (status === 429) return fail('rate_limited', true, wait());
        if (status >= 500 || status === 408) return fail('server_error', true, wait());
        return fail(status === 401 || status === 403 ? 'unauthorized' : 'rejected', false);
      }
      if (!chunks) return fail('invalid_response', false);
      if (both.aborted) stop();
      const decoder = new TextDecoder();
      const parser = createSseParser();
      // A server that ignored `stream: true` answers with one JSON completion: parsed whole as one event.
      const whole = (res.headers['content-type'] ?? '').includes('application/json');
      let raw = '';
      let finished = false; // `[DONE]` arrived
      let ended = false; // choice 0 reported its finish reason (some servers then close without `[DONE]`)
      for (;;) {
        let read: IteratorResult<Uint8Array>;
        try {
          read = await chunks.next();
        } catch (err) {
          const failure = thrown(err);
          // The connection broke after the headers: the stream was cut, whatever the transport said.
          return failure.reason === 'network' ? fail('interrupted', true) : failure;
        }
        if (both.aborted) return thrown(both.reason);
        const text = read.done ? decoder.decode() : decoder.decode(read.value, { stream: true });
        let events: { data: string }[];
        if (whole) {
          raw += text;
          events = read.done ? [{ data: raw }] : [];
          finished = read.done === true; // complete JSON or invalid_response: never cut
        } else {
          events = parser.push(text);
          if (read.done) events.push(...parser.end());
        }
        for (const { data } of events) {
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
      both.removeEventListener('abort', stop);
      stop();
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
