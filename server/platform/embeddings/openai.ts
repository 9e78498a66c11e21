import { setTimeout as sleep } from 'node:timers/promises';
import { appError, type AppError, type ErrorCode } from '../../errors.ts';
import type { EmbedOptions, Embedder, EmbedUsage } from './embedder.ts';
import { providerFailureText, retryAfterMs } from '../provider-response.ts';
import { parseEmbeddingResponse, type EmbeddingFailure } from './openai-response.ts';

export type { EmbeddingFailure } from './openai-response.ts';

/** Nebius AI Studio's OpenAI-compatible API, the default provider. */
export const defaultEmbeddingsBaseUrl = 'https://api.studio.nebius.com/v1/';

/** Settings for `createOpenAiEmbedder`. */
export interface OpenAiEmbedderOptions {
  /** API root ending in `/v1/` (default `defaultEmbeddingsBaseUrl`); `embeddings` is appended. */
  baseUrl?: string;
  apiKey: string;
  model: string;
  /** Length of the vectors the rest of Cloop stores; every response is checked against it. */
  dimension: number;
  /** Texts per request (default 64). */
  batchSize?: number;
  /** USD per million input tokens (default 0), for `usage.costUsd`. */
  pricePerMillionTokens?: number;
  /** The HTTP client: the project's SSRF-safe fetcher in production, global fetch in tests. */
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  /** Per-request timeout, reading the body included (default 30 s). */
  timeoutMs?: number;
  /** Tries per batch, the first included (default 4). */
  maxAttempts?: number;
  /** First retry waits about this long, doubling each time, with jitter (default 500 ms). */
  retryBaseMs?: number;
  /** A `Retry-After` longer than this fails the call instead of holding it (default 60 s); the job queue retries later. */
  maxRetryAfterMs?: number;
  /** Sends `dimensions: dimension` in the request (OpenAI text-embedding-3 and Matryoshka models on vLLM honour it). */
  sendDimensions?: boolean;
  /** Keeps the first `dimension` values of longer vectors, re-normalized: right only for Matryoshka-trained models (Qwen3-Embedding, text-embedding-3). */
  truncate?: boolean;
  /** Text put before each input by purpose, for models trained with instructions (e.g. Qwen3-Embedding or E5 queries). */
  prefix?: { query?: string; document?: string };
  /** Called before each retry (for logging); carries no secrets. */
  onRetry?: (info: { attempt: number; status: number | null; reason: string; waitMs: number }) => void;
}

type Attempt =
  | { ok: true; vectors: number[][]; tokens: number }
  | { ok: false; status: number | null; reason: EmbeddingFailure; retry: boolean; retryAfterMs?: number };

/**
 * An embedder for any OpenAI-compatible `POST /embeddings` endpoint: batched, one batch at a time,
 * retried with exponential backoff and jitter on 429, 5xx, timeouts and network errors (honouring
 * `Retry-After`), every response validated (count, index order, dimension, finite numbers).
 * Failures become AppError `embedding_failed` with `{ status, reason }` and nothing else: the API
 * key and the provider's own error text (which may echo the key) never leave this module.
 */
export function createOpenAiEmbedder(opts: OpenAiEmbedderOptions): Embedder {
  const base = opts.baseUrl ?? defaultEmbeddingsBaseUrl;
  const url = new URL('embeddings', base.endsWith('/') ? base : `${base}/`).href;
  if (!/^https?:$/.test(new URL(url).protocol)) throw new RangeError('baseUrl must be an http(s) URL');
  const { model, dimension } = opts;
  if (!Number.isInteger(dimension) || dimension < 1) throw new RangeError('dimension must be a positive integer');
  const batchSize = opts.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 2048) throw new RangeError('batchSize must be an integer in 1..2048');
  const price = opts.pricePerMillionTokens ?? 0;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 4);
  const retryBaseMs = opts.retryBaseMs ?? 500;
  const maxRetryAfterMs = opts.maxRetryAfterMs ?? 60_000;
  const headers = { authorization: `Bearer ${opts.apiKey}`, 'content-type': 'application/json', accept: 'application/json' };

  async function attempt(input: string[], signal: AbortSignal | undefined): Promise<Attempt> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const body = JSON.stringify({ model, input, ...(opts.sendDimensions ? { dimensions: dimension } : {}) });
    let status: number | null = null;
    try {
      const res = await opts.fetch(url, { method: 'POST', headers, body, signal: both });
      status = res.status;
      const text = await res.text(); // read fully even on errors, so the connection can be reused
      if (res.ok) return parseEmbeddingResponse(text, input, { dimension, truncate: opts.truncate ?? false });
      if (status === 429) return { ok: false, status, reason: 'rate_limited', retry: true, retryAfterMs: retryAfterMs(res.headers) };
      if (status >= 500 || status === 408) return { ok: false, status, reason: 'server_error', retry: true, retryAfterMs: retryAfterMs(res.headers) };
      return { ok: false, status, reason: status === 401 || status === 403 ? 'unauthorized' : 'rejected', retry: false };
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      // The injected fetcher may refuse the address itself (SSRF rules) or time out on its own clock.
      const e = err as { code?: unknown; details?: { reason?: unknown } };
      if (e.code === 'url_not_allowed') return { ok: false, status, reason: 'refused', retry: false };
      return { ok: false, status, reason: timeout.aborted || e.details?.reason === 'timeout' ? 'timeout' : 'network', retry: true };
    }
  }

  async function embedBatch(input: string[], signal: AbortSignal | undefined): Promise<{ vectors: number[][]; tokens: number }> {
    for (let n = 1; ; n++) {
      const result = await attempt(input, signal);
      if (result.ok) return result;
      if (!result.retry || n >= maxAttempts) throw failure(result.status, result.reason, n);
      const backoff = retryBaseMs * 2 ** (n - 1);
      const jittered = backoff / 2 + Math.random() * (backoff / 2);
      const waitMs = Math.max(result.retryAfterMs ?? 0, jittered);
      if (waitMs > maxRetryAfterMs) throw failure(result.status, result.reason, n);
      opts.onRetry?.({ attempt: n, status: result.status, reason: result.reason, waitMs: Math.round(waitMs) });
      try {
        await sleep(waitMs, undefined, { signal });
      } catch (err) {
        signal?.throwIfAborted();
        throw err;
      }
    }
  }

  return {
    model,
    dimension,
    async embed(texts: string[], options?: EmbedOptions): Promise<{ vectors: number[][]; usage: EmbedUsage }> {
      const signal = options?.signal;
      signal?.throwIfAborted();
      const prefix = opts.prefix?.[options?.purpose ?? 'document'] ?? '';
      // Providers reject empty strings; a space embeds as "nothing" without failing the batch.
      const inputs = texts.map((t) => (prefix + t).trim() ? prefix + t : ' ');
      const vectors: number[][] = [];
      let inputTokens = 0;
      for (let i = 0; i < inputs.length; i += batchSize) {
        const batch = await embedBatch(inputs.slice(i, i + batchSize), signal);
        for (const v of batch.vectors) vectors.push(v);
        inputTokens += batch.tokens;
      }
      return { vectors, usage: { inputTokens, costUsd: (inputTokens * price) / 1e6, model } };
    },
  };
}

const reasonText: Record<EmbeddingFailure, string> = { ...providerFailureText, dimension_mismatch: 'the provider sent vectors of the wrong length' };

function failure(status: number | null, reason: EmbeddingFailure, attempts: number): AppError {
  const tries = attempts === 1 ? '1 attempt' : `${attempts} attempts`;
  return appError('embedding_failed', `Embedding failed: ${reasonText[reason]}${status ? ` (HTTP ${status})` : ''} after ${tries}.`, { status, reason });
}
