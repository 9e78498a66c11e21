// The session's tokens live in localStorage (no cookies anywhere). Other tabs see changes through
// the `storage` event, so signing out in one tab signs out every tab.

/** What the API's token endpoints return. */
export interface TokenResponse {
  accessToken: string;
  refreshToken?: string;
  expiresIn: number;
  tenantId: string | null;
}

/** The stored session. */
export interface Tokens {
  accessToken: string;
  refreshToken: string;
  /** When the access token expires (ms since the epoch). */
  expiresAt: number;
  tenantId: string | null;
}

const key = 'cloop.session';
type Listener = (tokens: Tokens | null, reason?: string) => void;
const listeners = new Set<Listener>();

function isTokens(v: unknown): v is Tokens {
  const t = v as Tokens | null;
  return !!t && typeof t.accessToken === 'string' && typeof t.refreshToken === 'string' && typeof t.expiresAt === 'number';
}

/** The stored tokens, or null when signed out. */
export function loadTokens(): Tokens | null {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(key) ?? 'null');
    return isTokens(value) ? value : null;
  } catch {
    return null;
  }
}

/** Stores tokens from a token response (keeping the refresh token when the response has none). */
export function saveTokens(res: TokenResponse, previous: Tokens | null = loadTokens()): Tokens {
  const refreshToken = res.refreshToken ?? previous?.refreshToken;
  if (!refreshToken) throw new Error('no refresh token');
  const tokens: Tokens = { accessToken: res.accessToken, refreshToken, expiresAt: Date.now() + res.expiresIn * 1000, tenantId: res.tenantId };
  localStorage.setItem(key, JSON.stringify(tokens));
  emit(tokens);
  return tokens;
}

/** Forgets the session; `reason` tells the sign-in page why (e.g. `expired`). */
export function clearTokens(reason?: string): void {
  localStorage.removeItem(key);
  emit(null, reason);
}

function emit(tokens: Tokens | null, reason?: string): void {
  for (const l of listeners) l(tokens, reason);
}

/** Calls `fn` whenever the session changes, in this tab or another. Returns the unsubscribe. */
export function onTokens(fn: Listener): () => void {
  listeners.add(fn);
  const fromOtherTab = (e: StorageEvent) => {
    if (e.key === key || e.key === null) fn(loadTokens());
  };
  window.addEventListener('storage', fromOtherTab);
  return () => {
    listeners.delete(fn);
    window.removeEventListener('storage', fromOtherTab);
  };
}
