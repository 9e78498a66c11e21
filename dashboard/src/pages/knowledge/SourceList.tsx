// A site's sources with live progress: each running source follows its event stream
// (`GET …/sources/:id/events`, server-sent events read through fetch).
import { useEffect, useState } from 'react';
import { useI18n, type Plural } from '../../i18n/index.ts';
import { api, ApiError } from '../../lib/api.ts';
import { bytes, count, dateTime } from '../../lib/format.ts';
import { useClientPages } from '../../lib/hooks.ts';
import { streamEvents } from '../../lib/sse.ts';
import type { SourceProgress, SourceView } from '../../lib/types.ts';
import { Badge, ConfirmButton, Empty, ErrorNote, Pager, ProgressBar, SafeLink } from '../../ui/basics.tsx';
import { reasonText, statusText } from './reasons.ts';

/** Statuses in which a source is still working. */
export const runningStatuses = ['queued', 'crawling', 'processing'];

const tones: Record<string, 'neutral' | 'good' | 'warn' | 'bad' | 'info'> = {
  queued: 'neutral',
  crawling: 'info',
  processing: 'info',
  ready: 'good',
  failed: 'bad',
  cancelled: 'warn',
};

/** Follows a running source's events; calls `onChange` with every new state. */
function useLiveSource(siteId: string, source: SourceView, onChange: (s: SourceView) => void): void {
  const running = runningStatuses.includes(source.status);
  useEffect(() => {
    if (!running) return;
    const ctl = new AbortController();
    let retry: ReturnType<typeof setTimeout> | undefined;
    const follow = () =>
      streamEvents(
        `/sites/${siteId}/sources/${source.id}/events`,
        (e) => {
          if (e.event === 'progress') onChange(e.data as SourceView);
        },
        ctl.signal,
      )
        // The stream ended (done, or the server's hour was up): read the final state.
        .then(() => api<SourceView>(`/sites/${siteId}/sources/${source.id}`, { signal: ctl.signal }).then(onChange))
        .catch((err: unknown) => {
          if (ctl.signal.aborted || (err instanceof ApiError && err.status === 404)) return;
          retry = setTimeout(follow, 3000); // a dropped connection: follow again shortly
        });
    void follow();
    return () => {
      ctl.abort();
      clearTimeout(retry);
    };
    // One stream per running source: onChange may be a new function on every render.
  }, [siteId, source.id, running]);
}

function progressLine(plural: Plural, p: SourceProgress): string {
  const parts = [plural('source.found', p.found ?? 0), plural('source.fetched', p.fetched ?? 0), plural('source.indexed', p.indexed ?? 0)];
  if (p.unchanged) parts.push(plural('source.unchanged', p.unchanged));
  if (p.skipped) parts.push(plural('source.skipped', p.skipped));
  if (p.failed) parts.push(plural('source.failed', p.failed));
  parts.push(plural('source.chunks', p.chunks ?? 0));
  return parts.join(' · ');
}

/** One source: what, status, progress, errors and actions. */
function SourceRow({ siteId, source, canManage, onChange, onRemoved }: { siteId: string; source: SourceView; canManage: boolean; onChange(s: SourceView): void; onRemoved(id: string): void }) {
  const { t, lang, plural } = useI18n();
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  useLiveSource(siteId, source, onChange);
  const p = source.progress as SourceProgress;
  const running = runningStatuses.includes(source.status);
  const fraction = source.status === 'ready' ? 1 : p.found ? (p.fetched ?? 0) / p.found : null;
  const act = async (what: 'resync' | 'cancel' | 'delete') => {
    setBusy(true);
    setError(null);
    try {
      if (what === 'delete') {
        await api(`/sites/${siteId}/sources/${source.id}`, { method: 'DELETE' });
        onRemoved(source.id);
      } else onChange(await api<SourceView>(`/sites/${siteId}/sources/${source.id}/${what}`, { method: 'POST' }));
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  const name = source.kind === 'file' ? source.fileName : source.url;
  return (
    <li className="source" data-status={source.status}>
      <div className="source-head">
        <div>
          <p className="source-name">
            {source.kind === 'file' ? <span>{name}</span> : <SafeLink href={source.url} />}
            {source.kind === 'file' && source.fileSize !== null ? <span className="muted small"> ({bytes(source.fileSize, lang)})</span> : null}
          </p>
          <p className="small muted">
            {t(`source.kind.${source.kind}`)} · {t('source.lastSync')}: {dateTime(source.lastSyncAt, lang)}
            {source.nextSyncAt ? ` · ${t('source.nextSync')}: ${dateTime(source.nextSyncAt, lang)}` : ''}
          </p>
        </div>
        <Badge tone={tones[source.status] ?? 'neutral'}>{statusText(t, source.status)}</Badge>
      </div>
      {running || source.status === 'ready' ? <ProgressBar value={running ? fraction : 1} label={t('source.progressOf', { name: name ?? '' })} /> : null}
      <p className="small progress-line" aria-live={running ? 'polite' : undefined}>
        {progressLine(plural, p)}
      </p>
      {p.skippedReasons && Object.keys(p.skippedReasons).length ? (
        <p className="small muted">
          {t('source.why')}{' '}
          {Object.entries(p.skippedReasons)
            .map(([code, n]) => `${reasonText(t, code)}: ${count(n, lang)}`)
            .join(' · ')}
        </p>
      ) : null}
      {source.error ? <p className="note error small">{reasonText(t, source.error)}</p> : null}
      {p.errors?.length ? (
        <details>
          <summary>{t('source.pageProblems', { n: count(p.errors.length, lang) })}</summary>
          <ul className="page-errors">
            {p.errors.map((e, i) => (
              <li key={i}>
                <span className="break">{e.url}</span> — {reasonText(t, e.reason)}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {canManage ? (
        <div className="actions">
          {running ? (
            <button type="button" onClick={() => void act('cancel')} disabled={busy}>
              {t('source.cancel')}
            </button>
          ) : (
            <button type="button" onClick={() => void act('resync')} disabled={busy}>
              {t('source.resync')}
            </button>
          )}
          <ConfirmButton label={t('common.delete')} question={t('source.deleteQuestion')} confirmLabel={t('common.delete')} danger busy={busy} onConfirm={() => void act('delete')} />
        </div>
      ) : null}
      <ErrorNote error={error} />
    </li>
  );
}

/** The list, paged 10 at a time. */
export function SourceList({ siteId, sources, canManage, onChange, onRemoved }: { siteId: string; sources: SourceView[]; canManage: boolean; onChange(s: SourceView): void; onRemoved(id: string): void }) {
  const { t } = useI18n();
  const paged = useClientPages(sources, 10);
  if (!sources.length) return <Empty>{t('source.none')}</Empty>;
  return (
    <>
      <ul className="sources">
        {paged.items.map((s) => (
          <SourceRow key={s.id} siteId={siteId} source={s} canManage={canManage} onChange={onChange} onRemoved={onRemoved} />
        ))}
      </ul>
      <Pager {...paged} label={t('source.pages')} />
    </>
  );
}
