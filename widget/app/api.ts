// The widget API client (contracts/widget.ts). Every request carries the embed key (header and `key`
// query parameter); chat, history and lead carry the visitor token. No cookies: `credentials: 'omit'`.
import type { ChatEvent, HistoryResponse, SessionResponse, WidgetConfig } from '../../contracts/widget.ts';
import { readStored, storageKey, writeStored } from '../shared.ts';
import { sseParser } from './sse.ts';

/** A failed call: the API's error code (`network` when no answer arrived). */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
  ) {
    super(code);
  }
}

/** Body of `POST /widget/v1/chat` (contracts/widget.ts `chatBody`). */
export interface ChatRequest {
  conversationId?: string;
  message: string;
  pageUrl?: string;
  language?: string;
}

/** The calls the chat UI makes. */
export interface Client {
  config(): Promise<WidgetConfig>;
  /** The conversation so far, or null when the server no longer knows it (or not for this visitor). */
  history(conversationId: string): Promise<HistoryResponse | null>;
  /** Streams the answer's events to `onEvent`; resolves when the stream ends. */
  chat(body: ChatRequest, onEvent: (event: ChatEvent) => void): Promise<void>;
  lead(conversationId: string, email: string): Promise<void>;
}

interface StoredToken {
  value: string;
  /** When to fetch a new one: comfortably before the server's expiry. */
  refreshAt: number;
}

async function errorCode(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { error?: { code?: unknown } };
    if (typeof body.error?.code === 'string') return body.error.code;
  } catch {
    // not JSON
  }
  return `http_${res.status}`;
}

/** A client for one site on one Cloop server. */
export function createClient(origin: string, key: string): Client {
  const visitorKey = storageKey(key, 'visitor');
  const tokenKey = storageKey(key, 'token');
  let token = readStored<StoredToken>('sessionStorage', tokenKey);
  let pendingToken: Promise<string> | null = null;

  async function call(path: string, init: { method?: string; body?: unknown; auth?: boolean }, retried = false): Promise<Response> {
    const headers: Record<string, string> = { 'X-Cloop-Key': key };
    if (init.body !== undefined) headers['Content-Type'] = 'application/json';
    if (init.auth) headers.Authorization = `Bearer ${await visitorToken()}`;
    let res: Response;
    try {
      // The key also rides in the URL: a CORS preflight carries no custom header, and the server
      // checks the site's domains before it allows the real request.
      res = await fetch(`${origin}/widget/v1${path}?key=${encodeURIComponent(key)}`, {
        method: init.method ?? 'GET',
        headers,
        body: init.body === undefined ? null : JSON.stringify(init.body),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch {
      throw new ApiError('network', 0);
    }
    if (res.ok) return res;
    const code = await errorCode(res);
    // The token expired early (clock skew, server restart with a new secret): one fresh session, one retry.
    if (init.auth && res.status === 401 && !retried) {
      forgetToken();
      return call(path, init, true);
    }
    throw new ApiError(code, res.status);
  }

  function forgetToken(): void {
    token = null;
    writeStored('sessionStorage', tokenKey, null);
  }

  async function newSession(): Promise<string> {
    const visitorId = readStored<string>('localStorage', visitorKey);
    let res: Response;
    try {
      res = await call('/session', { method: 'POST', body: typeof visitorId === 'string' ? { visitorId } : {} });
    } catch (err) {
      // A visitor id the server refuses (malformed, from another version): start as a new visitor.
      if (!(err instanceof ApiError) || err.status !== 400 || !visitorId) throw err;
      writeStored('localStorage', visitorKey, null);
      res = await call('/session', { method: 'POST', body: {} });
    }
    const session = (await res.json()) as SessionResponse;
    if (typeof session.token !== 'string') throw new ApiError('bad_session', res.status);
    writeStored('localStorage', visitorKey, session.visitorId);
    const ttlMs = Math.max(0, Number(session.expiresIn) || 0) * 1000;
    token = { value: session.token, refreshAt: Date.now() + Math.max(ttlMs - 30_000, ttlMs / 2) };
    writeStored('sessionStorage', tokenKey, token);
    return token.value;
  }

  /** The visitor token; a new one is fetched before the current one expires (one request for concurrent callers). */
  function visitorToken(): Promise<string> {
    if (token && typeof token.value === 'string' && Date.now() < token.refreshAt) return Promise.resolve(token.value);
    return (pendingToken ||= newSession().finally(() => (pendingToken = null)));
  }

  return {
    async config() {
      return (await (await call('/config', {})).json()) as WidgetConfig;
    },

    async history(conversationId) {
      try {
        return (await (await call(`/conversations/${encodeURIComponent(conversationId)}/messages`, { auth: true })).json()) as HistoryResponse;
      } catch (err) {
        if (err instanceof ApiError && (err.status === 404 || err.status === 400)) return null;
        throw err;
      }
    },

    async chat(body, onEvent) {
      const res = await call('/chat', { method: 'POST', body, auth: true });
      if (!res.body) throw new ApiError('network', 0);
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      const parser = sseParser(onEvent);
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          parser.push(decoder.decode(value, { stream: true }));
        }
      } catch {
        throw new ApiError('network', 0); // the connection broke mid-answer
      }
      parser.push(decoder.decode());
      parser.end();
    },

    async lead(conversationId, email) {
      await call('/lead', { method: 'POST', body: { conversationId, email }, auth: true });
    },
  };
}
