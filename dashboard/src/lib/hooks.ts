// Loading data: one call per component state, aborted when it changes; cursor paging; client paging.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, ApiError } from './api.ts';
import type { Page } from './types.ts';

/** What a loader hook returns. */
export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  reload(): void;
  setData(update: (old: T | undefined) => T | undefined): void;
}

function asApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : new ApiError('internal', (err as Error)?.message || 'Something went wrong.', 0);
}

/** Loads `GET /api{path}` (nothing while `path` is null); reloads when the path changes. */
export function useApi<T>(path: string | null): Loaded<T> {
  const [data, setState] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === null) return;
    const ctl = new AbortController();
    setLoading(true);
    setError(null);
    api<T>(path, { signal: ctl.signal })
      .then((d) => setState(d))
      .catch((err: unknown) => {
        if ((err as Error).name !== 'AbortError') setError(asApiError(err));
      })
      .finally(() => {
        if (!ctl.signal.aborted) setLoading(false);
      });
    return () => ctl.abort();
  }, [path, tick]);
  return { data, error, loading, reload: useCallback(() => setTick((t) => t + 1), []), setData: setState };
}

/** What a cursor-paged list offers the page. */
export interface Paged<T> extends Loaded<Page<T>> {
  pageNumber: number;
  hasNext: boolean;
  hasPrev: boolean;
  next(): void;
  prev(): void;
}

/**
 * A cursor-paged list endpoint (`?limit=&cursor=`, answer `{ items, nextCursor }`). The cursors of
 * earlier pages are kept, so Previous works; a new `path` (other filters) starts at page one.
 */
export function usePaged<T>(path: string | null, limit = 20): Paged<T> {
  // The cursors belong to one path: other filters start again at page one.
  const [state, setState] = useState<{ path: string | null; cursors: (string | null)[] }>({ path, cursors: [null] });
  const cursors = state.path === path ? state.cursors : [null];
  const cursor = cursors.at(-1) ?? null;
  const sep = path?.includes('?') ? '&' : '?';
  const full = path === null ? null : `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
  const loaded = useApi<Page<T>>(full);
  const nextCursor = loaded.data?.nextCursor ?? null;
  return {
    ...loaded,
    pageNumber: cursors.length,
    hasNext: !!nextCursor && !loaded.loading,
    hasPrev: cursors.length > 1,
    next: () => {
      if (nextCursor) setState({ path, cursors: [...cursors, nextCursor] });
    },
    prev: () => setState({ path, cursors: cursors.length > 1 ? cursors.slice(0, -1) : cursors }),
  };
}

/** Pages over a list the API returns whole (members, sources, questions). */
export function useClientPages<T>(items: readonly T[] | undefined, size = 20) {
  const [page, setPage] = useState(1);
  const total = items?.length ?? 0;
  const pages = Math.max(1, Math.ceil(total / size));
  const current = Math.min(page, pages);
  const slice = useMemo(() => (items ?? []).slice((current - 1) * size, current * size), [items, current, size]);
  return {
    items: slice,
    pageNumber: current,
    pageCount: pages,
    hasPrev: current > 1,
    hasNext: current < pages,
    prev: () => setPage(Math.max(1, current - 1)),
    next: () => setPage(Math.min(pages, current + 1)),
  };
}

/** Runs an action with a busy flag and an error, for buttons. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const run = useCallback(async <R,>(fn: () => Promise<R>): Promise<R | undefined> => {
    setBusy(true);
    setError(null);
    try {
      return await fn();
    } catch (err) {
      setError(asApiError(err));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, clearError: () => setError(null) };
}
