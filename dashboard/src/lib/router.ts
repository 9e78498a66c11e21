// A tiny router over the History API: paths under /app, no library.
import { useEffect, useState } from 'react';

/** Where the app is served. */
export const base = '/app';
const changed = 'cloop:navigate';

/** The path inside the app (`/sites/…`), always starting with `/`. */
export function currentPath(): string {
  const p = location.pathname.startsWith(base) ? location.pathname.slice(base.length) : location.pathname;
  return p || '/';
}

/** Goes to an app path (`/sites/x/leads?status=new`). */
export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  const url = base + to;
  if (url === location.pathname + location.search) return;
  if (opts.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  window.dispatchEvent(new Event(changed));
  if (!opts.replace) window.scrollTo(0, 0);
}

/** The current path and query; re-renders on navigation. */
export function useLocation(): { path: string; params: URLSearchParams } {
  const read = () => ({ path: currentPath(), search: location.search });
  const [loc, setLoc] = useState(read);
  useEffect(() => {
    const update = () => setLoc(read());
    window.addEventListener('popstate', update);
    window.addEventListener(changed, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(changed, update);
    };
  }, []);
  return { path: loc.path, params: new URLSearchParams(loc.search) };
}

/** Matches `/sites/:siteId/leads` against a path; returns the parameters or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/').filter(Boolean);
  const got = path.split('/').filter(Boolean);
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = decodeURIComponent(got[i]!);
    if (w.startsWith(':')) params[w.slice(1)] = g;
    else if (w !== g) return null;
  }
  return params;
}

/** Changes query parameters of the current path (replacing history: filters are not pages). */
export function setParams(update: Record<string, string | undefined>): void {
  const params = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(update)) {
    if (v === undefined || v === '') params.delete(k);
    else params.set(k, v);
  }
  const q = params.toString();
  navigate(`${currentPath()}${q ? `?${q}` : ''}`, { replace: true });
}
