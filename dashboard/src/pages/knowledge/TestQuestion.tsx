// "Test a question": the passages the chat would retrieve for it, with their scores.
import { useState, type FormEvent } from 'react';
import { useI18n } from '../../i18n/index.ts';
import { api, ApiError } from '../../lib/api.ts';
import type { SearchHit } from '../../lib/types.ts';
import { Empty, ErrorNote, SafeLink } from '../../ui/basics.tsx';

/** The question box and its results. */
export function TestQuestion({ siteId }: { siteId: string }) {
  const { t } = useI18n();
  const [query, setQuery] = useState('');
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setHits((await api<{ items: SearchHit[] }>(`/sites/${siteId}/search`, { method: 'POST', body: { query, limit: 8 } })).items);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="stack">
      <form className="row-form" onSubmit={submit} role="search">
        <label htmlFor="test-question" className="visually-hidden">
          {t('test.label')}
        </label>
        <input id="test-question" type="search" required maxLength={1000} value={query} onChange={(e) => setQuery(e.target.value)} placeholder={t('test.placeholder')} />
        <button type="submit" disabled={busy || !query.trim()}>
          {busy ? t('test.searching') : t('test.submit')}
        </button>
      </form>
      <ErrorNote error={error} />
      {hits && !hits.length ? <Empty>{t('test.none')}</Empty> : null}
      {hits?.length ? (
        <ol className="hits" aria-label={t('test.results')}>
          {hits.map((h) => (
            <li key={h.chunkId}>
              <p className="hit-title">
                <SafeLink href={h.url}>{h.title || h.url}</SafeLink>
                {h.page !== null ? <span className="muted small"> · {t('test.page', { n: h.page })}</span> : null}
              </p>
              {h.headingPath.length ? <p className="small muted">{h.headingPath.join(' › ')}</p> : null}
              <p className="passage">{h.text}</p>
              <p className="small muted">
                {t('test.score', { score: h.score.toFixed(4) })}
                {h.similarity !== null ? ` · ${t('test.similarity', { v: h.similarity.toFixed(3) })}` : ''}
                {h.vectorRank !== null ? ` · ${t('test.vectorRank', { n: h.vectorRank })}` : ''}
                {h.textRank !== null ? ` · ${t('test.textRank', { n: h.textRank })}` : ''}
              </p>
            </li>
          ))}
        </ol>
      ) : null}
    </div>
  );
}
