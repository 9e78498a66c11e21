// The signed-in state: arrival by sign-in link, OAuth exchange or invitation; `/api/me`; the
// workspace (tenant) with its tier; switching workspaces; signing out.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { errorText, useI18n, type StringKey } from '../i18n/index.ts';
import { api, ApiError, openSession } from '../lib/api.ts';
import { forgetInvite, pendingInvite, takeArrival } from '../lib/fragment.ts';
import { clearTokens, loadTokens, onTokens, saveTokens, type TokenResponse } from '../lib/session.ts';
import type { Me, Tenant } from '../lib/types.ts';

/** Why the sign-in page is showing, or a notice for the signed-in user (said in the interface language). */
export interface Notice {
  kind: 'error' | 'info';
  /** An interface string; `error` fills its `{reason}`. Without a key, the error is the whole notice. */
  key?: StringKey;
  error?: ApiError;
}

/** A notice's words in the interface language. */
export function NoticeText({ notice }: { notice: Notice }) {
  const { t, lang } = useI18n();
  const reason = notice.error ? errorText(lang, notice.error) : '';
  return <p>{notice.key ? t(notice.key, { reason }) : reason}</p>;
}

/** What the rest of the app knows about the session. */
export interface AuthValue {
  status: 'loading' | 'signedOut' | 'signedIn';
  me: Me | null;
  tenant: Tenant | null;
  notice: Notice | null;
  dismissNotice(): void;
  /** Reloads `/api/me` and `/api/tenant` (after a rename, a tier change…). */
  refresh(): Promise<void>;
  switchTenant(tenantId: string): Promise<void>;
  signOut(everywhere?: boolean): Promise<void>;
}

const AuthContext = createContext<AuthValue | null>(null);

/** The session (inside AuthProvider). */
export function useAuth(): AuthValue {
  const v = useContext(AuthContext);
  if (!v) throw new Error('useAuth outside AuthProvider');
  return v;
}

/** The signed-in user's data (inside the signed-in part of the app). */
export function useSignedIn(): { me: Me; tenant: Tenant } & AuthValue {
  const v = useAuth();
  if (!v.me || !v.tenant) throw new Error('not signed in');
  return { ...v, me: v.me, tenant: v.tenant };
}

const arrivalErrors: Record<string, StringKey> = {
  sign_in_failed: 'auth.signInIncomplete',
};

/** Trades what the URL fragment brought for a session; runs once per page load. */
async function arrive(): Promise<Notice | null> {
  const arrival = takeArrival();
  try {
    if (arrival.exchange) await openSession('/auth/exchange', { code: arrival.exchange });
    else if (arrival.signin) await openSession('/auth/signin-link', { token: arrival.signin });
  } catch (err) {
    return err instanceof ApiError ? { kind: 'error', error: err } : { kind: 'error', key: 'auth.signInFailed' };
  }
  if (arrival.error) return { kind: 'error', key: arrivalErrors[arrival.error] ?? 'auth.signInFailed' };
  if (arrival.invite && !loadTokens()) return { kind: 'info', key: 'auth.inviteSignIn' };
  return null;
}

/** Accepts a remembered invitation and moves the session to that workspace. */
async function acceptInvite(): Promise<Notice | null> {
  const token = pendingInvite();
  if (!token) return null;
  try {
    const joined = await api<{ tenantId: string; role: string }>('/invitations/accept', { method: 'POST', body: { token } });
    forgetInvite();
    saveTokens(await api<TokenResponse>('/auth/switch-tenant', { method: 'POST', body: { tenantId: joined.tenantId } }));
    const role = joined.role === 'owner' || joined.role === 'admin' ? joined.role : 'member';
    return { kind: 'info', key: `auth.joined.${role}` };
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null; // signed out meanwhile: keep it for later
    forgetInvite();
    return { kind: 'error', key: 'auth.inviteFailed', error: err instanceof ApiError ? err : new ApiError('internal', 'Something went wrong.', 0) };
  }
}

// Started once per page load (not per render: an exchange code works only once).
const arrival = arrive();

/** Provides the session to the app. */
export function AuthProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<AuthValue['status']>('loading');
  const [me, setMe] = useState<Me | null>(null);
  const [tenant, setTenant] = useState<Tenant | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);

  const load = useCallback(async () => {
    if (!loadTokens()) {
      setStatus('signedOut');
      return;
    }
    try {
      const [m, t] = await Promise.all([api<Me>('/me'), api<Tenant>('/tenant')]);
      setMe(m);
      setTenant(t);
      setStatus('signedIn');
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setStatus('signedOut');
      else setNotice(err instanceof ApiError ? { kind: 'error', error: err } : { kind: 'error', key: 'auth.loadFailed' });
      if (!loadTokens()) setStatus('signedOut');
    }
  }, []);

  useEffect(() => {
    let live = true;
    const settle = async (arrived: Promise<Notice | null>) => {
      const first = await arrived;
      const joined = loadTokens() ? await acceptInvite() : null;
      if (!live) return;
      setNotice(joined ?? first);
      await load();
    };
    void settle(arrival);
    // A link opened in a tab already showing the dashboard changes only the fragment: no page load.
    const onHash = () => {
      if (/^#(exchange|signin|invite|error)=/.test(location.hash)) void settle(arrive());
    };
    window.addEventListener('hashchange', onHash);
    const stop = onTokens((tokens, reason) => {
      if (tokens) return;
      setMe(null);
      setTenant(null);
      setStatus('signedOut');
      if (reason === 'expired') setNotice({ kind: 'info', key: 'auth.expired' });
    });
    return () => {
      live = false;
      window.removeEventListener('hashchange', onHash);
      stop();
    };
  }, [load]);

  const switchTenant = useCallback(
    async (tenantId: string) => {
      saveTokens(await api<TokenResponse>('/auth/switch-tenant', { method: 'POST', body: { tenantId } }));
      await load();
    },
    [load],
  );

  const signOut = useCallback(async (everywhere = false) => {
    await api(everywhere ? '/auth/logout-all' : '/auth/logout', { method: 'POST' }).catch(() => {});
    clearTokens();
  }, []);

  const value: AuthValue = { status, me, tenant, notice, dismissNotice: () => setNotice(null), refresh: load, switchTenant, signOut };
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}
