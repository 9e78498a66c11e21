import type { Fetcher } from './fetcher.ts';

/**
 * The fetcher in `fetch`'s shape, for clients that take a fetch function (the embeddings and chat
 * providers): every request still goes through the SSRF checks, caps and timeouts.
 */
export function fetcherAsFetch(fetcher: Fetcher, opts: { maxBytes?: number; totalMs?: number; streaming?: boolean } = {}) {
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
      ...(init.signal ? { signal: init.signal } : {}),
      ...(opts.maxBytes ? { maxBytes: opts.maxBytes } : {}),
      ...(opts.totalMs ? { totalMs: opts.totalMs } : {}),
    };
    if (opts.streaming) {
      // The body streams through as it arrives (token by token), still capped and timed by the fetcher.
      const res = await fetcher.stream(url, request);
      const iterator = res.body[Symbol.asyncIterator]();
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          try {
            const next = await iterator.next();
            if (next.done) controller.close();
            else controller.enqueue(new Uint8Array(next.value));
          } catch (err) {
            controller.error(err);
          }
        },
        async cancel() {
          await iterator.return?.();
        },
      });
      return new Response(stream, { status: res.status, headers: res.headers });
    }
    const result = await fetcher.fetch(url, request);
    const status = result.status;
    return new Response(status === 204 || status === 304 || method === 'HEAD' ? null : new Uint8Array(result.body), { status, headers: result.headers });
  };
}
