import type { Fetcher, StreamResult } from './fetcher.ts';

/**
 * The fetcher in `fetch`'s shape, for clients that take a fetch function (the embeddings and chat
 * providers): every request still goes through the SSRF checks, caps and timeouts.
 */
export function fetcherAsFetch(fetcher: Fetcher, opts: { maxBytes?: number; totalMs?: number } = {}) {
  return async function safeFetch(url: string, init: RequestInit = {}): Promise<Response> {
    const method = (init.method ?? 'GET').toUpperCase();
    if (method !== 'GET' && method !== 'POST' && method !== 'HEAD') throw new TypeError(`method ${method} is not supported`);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => (headers[name] = value));
    const body = typeof init.body === 'string' ? init.body : init.body instanceof Uint8Array ? Buffer.from(init.body) : undefined;
    const request = {
      method: method as 'GET' | 'POST' | 'HEAD',
      headers,
      ...(body !== undefined ? { body } : {}),
      ...callOptions(init.signal ?? undefined, opts),
    };
    const result = await fetcher.fetch(url, request);
    const status = result.status;
    return new Response(status === 204 || status === 304 || method === 'HEAD' ? null : new Uint8Array(result.body), { status, headers: result.headers });
  };
}

/**
 * The fetcher's streaming request for clients that read a body as it arrives (the chat provider's
 * token stream): the same SSRF checks, caps and timeouts, and the body's chunks as they come, with
 * no WebStreams layer in between.
 */
export function fetcherAsStream(fetcher: Fetcher, opts: { maxBytes?: number; totalMs?: number } = {}) {
  return function safeStream(url: string, init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string; signal?: AbortSignal }): Promise<StreamResult> {
    return fetcher.stream(url, {
      method: init.method,
      headers: init.headers,
      ...(init.body !== undefined ? { body: init.body } : {}),
      ...callOptions(init.signal, opts),
    });
  };
}

/** The caller's signal and the adapter's caps, as the fetcher takes them (absent ones left out). */
function callOptions(signal: AbortSignal | undefined, opts: { maxBytes?: number; totalMs?: number }) {
  return {
    ...(signal ? { signal } : {}),
    ...(opts.maxBytes ? { maxBytes: opts.maxBytes } : {}),
    ...(opts.totalMs ? { totalMs: opts.totalMs } : {}),
  };
}
