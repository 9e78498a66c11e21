// Sign-in secrets arrive in the URL fragment (`#exchange=`, `#signin=`, `#invite=`, `#error=`):
// read once, then removed from the address bar and history at once, before any network call.

/** What the fragment carried. */
export interface Arrival {
  exchange?: string;
  signin?: string;
  invite?: string;
  error?: string;
}

const names = ['exchange', 'signin', 'invite', 'error'] as const;
const inviteKey = 'cloop.invite';

/** Reads and strips the fragment; an invitation token is remembered until it is accepted. */
export function takeArrival(): Arrival {
  const hash = location.hash.slice(1);
  if (!hash) return {};
  const params = new URLSearchParams(hash);
  const arrival: Arrival = {};
  for (const name of names) {
    const value = params.get(name);
    if (value && /^[A-Za-z0-9_-]{1,300}$/.test(value)) arrival[name] = value;
  }
  if (names.some((n) => params.has(n))) history.replaceState(history.state, '', location.pathname + location.search);
  if (arrival.invite) sessionStorage.setItem(inviteKey, arrival.invite);
  return arrival;
}

/** The invitation waiting for sign-in, if any. */
export function pendingInvite(): string | null {
  return sessionStorage.getItem(inviteKey);
}

/** Forgets the pending invitation (accepted or refused). */
export function forgetInvite(): void {
  sessionStorage.removeItem(inviteKey);
}
