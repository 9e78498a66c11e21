// The workspace's sites, and which one the pages show (from the URL, else the last one used).
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, ApiError } from '../lib/api.ts';
import type { Page, SiteView } from '../lib/types.ts';

/** The sites and helpers for pages. */
export interface SitesValue {
  sites: SiteView[] | null;
  error: ApiError | null;
  reload(): Promise<SiteView[] | null>;
  /** Replaces one site in the list (after a save). */
  put(site: SiteView): void;
  /** The site pages should default to. */
  lastSiteId(): string | null;
  remember(siteId: string): void;
}

const SitesContext = createContext<SitesValue | null>(null);

/** The sites (inside SitesProvider). */
export function useSites(): SitesValue {
  const v = useContext(SitesContext);
  if (!v) throw new Error('useSites outside SitesProvider');
  return v;
}

/** Loads the workspace's sites (a workspace has at most a few dozen: one page of 100). */
export function SitesProvider({ tenantId, children }: { tenantId: string; children: ReactNode }) {
  // Sites belong to one workspace: after a switch, the old list is never shown (nor redirected to).
  const [state, setState] = useState<{ tenantId: string; sites: SiteView[] } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const sites = state?.tenantId === tenantId ? state.sites : null;
  const storageKey = `cloop.site.${tenantId}`;

  const reload = useCallback(async () => {
    try {
      const page = await api<Page<SiteView>>('/sites?limit=100');
      setState({ tenantId, sites: page.items });
      setError(null);
      return page.items;
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError('internal', 'Could not load your sites.', 0));
      return null;
    }
  }, [tenantId]);

  useEffect(() => {
    void reload();
  }, [reload]);

  const value = useMemo<SitesValue>(
    () => ({
      sites,
      error,
      reload,
      put: (site) =>
        setState((st) => {
          const list = st?.tenantId === tenantId ? st.sites : [];
          return { tenantId, sites: list.some((s) => s.id === site.id) ? list.map((s) => (s.id === site.id ? site : s)) : [site, ...list] };
        }),
      lastSiteId: () => {
        const stored = localStorage.getItem(storageKey);
        return sites?.find((s) => s.id === stored)?.id ?? sites?.[0]?.id ?? null;
      },
      remember: (siteId) => localStorage.setItem(storageKey, siteId),
    }),
    [sites, error, reload, storageKey, tenantId],
  );
  return <SitesContext.Provider value={value}>{children}</SitesContext.Provider>;
}
