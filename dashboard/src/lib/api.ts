// The dashboard's only door to the server: `/api` with `Authorization: Bearer`, silent refresh
// (one at a time, across tabs), one retry after a 401, then sign-out. Errors carry the API's words.
import { clearTokens, loadTokens, saveTokens, type TokenResponse, type Tokens } from './session.ts';

/** A failed call, with the API's error code and its plain-words message. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly requestId?: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** The message shown when the server could not be reached at all. */
export const networkMessage = 'Could not reach Cloop. Check your connection and try again.';

/** Reads the error body `{ error: { code, message, requestId } }` of a failed response. */
export async function errorFrom(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string; requestId?: string; details?: unknown } };
    if (body.error?.code) return new ApiError(body.error.code, body.error.message ?? body.error.code, res.status, body.error.requestId, body.error.details);
  } catch {
    // not JSON
  }
  return new ApiError(`http_${res.status}`, `The server answered ${res.status}. Try again.`, res.status);
}

/** `fetch` that turns a network failure into an ApiError. */
async function send(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, credentials: 'omit', cache: 'no-store' });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError('network', networkMessage, 0);
  }
}

/** Trades a token for a session (`/auth/exchange`, `/auth/signin-link`) and stores it. */
export async function openSession(path: '/auth/exchange' | '/auth/signin-link', body: Record<string, string>): Promise<Tokens> {
  const res = await send(`/api${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw await errorFrom(res);
  return saveTokens((await res.json()) as TokenResponse, null);
}

let refreshing: Promise<Tokens | null> | null = null;

/**
 * Rotates the refresh token, once at a time: in this tab (one promise) and across tabs (a Web Lock,
 * where the browser has them). A tab that waited finds the token already rotated and uses it:
 * presenting a used refresh token would end the whole session.
 */
export function refreshTokens(): Promise<Tokens | null> {
  const before = loadTokens();
  if (!before) return Promise.resolve(null);
  const run = async (): Promise<Tokens | null> => {
    const now = loadTokens();
    if (!now) return null;
    if (now.refreshToken !== before.refreshToken) return now;
    const res = await send('/api/auth/refresh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: now.refreshToken }) });
    if (res.status === 401 || res.status === 400) {
      clearTokens('expired');
      return null;
    }
    if (!res.ok) throw await errorFrom(res);
    return saveTokens((await res.json()) as TokenResponse, now);
  };
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  refreshing ||= (locks ? locks.request('cloop-refresh', run) : run()).finally(() => (refreshing = null));
  return refreshing;
}

/** A valid access token: refreshed first when it expires within 30 seconds. Null when signed out. */
export async function accessToken(): Promise<string | null> {
  let tokens = loadTokens();
  if (tokens && tokens.expiresAt - Date.now() < 30_000) tokens = await refreshTokens();
  return tokens?.accessToken ?? null;
}

/** Options of one API call. */
export interface CallOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
  accept?: string;
}

/** Calls the API and returns the raw response (for streams and downloads); throws ApiError unless 2xx. */
export async function apiResponse(path: string, opts: CallOptions = {}): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const token = await accessToken();
    if (!token) throw new ApiError('unauthorized', 'Sign in to continue.', 401);
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (opts.accept) headers.accept = opts.accept;
    const res = await send(`/api${path}`, {
      method: opts.method ?? 'GET',
      headers,
      body: opts.body === undefined ? null : JSON.stringify(opts.body),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (res.ok) return res;
    if (res.status === 401 && attempt === 0 && (await refreshTokens())) continue;
    const error = await errorFrom(res);
    if (res.status === 401) clearTokens('expired');
    throw error;
  }
}

/** Calls the API and parses its JSON answer (undefined for 204). */
export async function api<T>(path: string, opts: CallOptions = {}): Promise<T> {
  const res = await apiResponse(path, opts);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** A query string from the defined, non-empty values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
