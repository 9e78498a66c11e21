// A site's sources as state that live updates, additions and deletions change in place.
import { useCallback } from 'react';
import { useApi } from '../../lib/hooks.ts';
import type { SourceView } from '../../lib/types.ts';

/** The sources of a site, with stable `upsert` / `remove` for child components. */
export function useSources(siteId: string) {
  const loaded = useApi<{ items: SourceView[] }>(`/sites/${siteId}/sources`);
  const { setData } = loaded;
  const upsert = useCallback(
    (s: SourceView) =>
      setData((d) => {
        const items = d?.items ?? [];
        return { items: items.some((i) => i.id === s.id) ? items.map((i) => (i.id === s.id ? s : i)) : [s, ...items] };
      }),
    [setData],
  );
  const remove = useCallback((id: string) => setData((d) => ({ items: (d?.items ?? []).filter((i) => i.id !== id) })), [setData]);
  return { sources: loaded.data?.items, error: loaded.error, loading: loaded.loading, reload: loaded.reload, upsert, remove };
}
