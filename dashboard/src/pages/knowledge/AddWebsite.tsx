// Adds a website (crawled) or a single page as a source.
import { useState, type FormEvent } from 'react';
import { useI18n } from '../../i18n/index.ts';
import { api, ApiError } from '../../lib/api.ts';
import type { SourceView } from '../../lib/types.ts';
import { ErrorNote } from '../../ui/basics.tsx';

/** The form; `onAdded` gets the new (queued) source. */
export function AddWebsite({ siteId, initialUrl = '', onAdded }: { siteId: string; initialUrl?: string; onAdded(s: SourceView): void }) {
  const { t } = useI18n();
  const [url, setUrl] = useState(initialUrl);
  const [kind, setKind] = useState<'website' | 'page'>('website');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const full = /^https?:\/\//i.test(url.trim()) ? url.trim() : `https://${url.trim()}`;
      onAdded(await api<SourceView>(`/sites/${siteId}/sources`, { method: 'POST', body: { kind, url: full } }));
      setUrl('');
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="stack" onSubmit={submit}>
      <div className="field">
        <label htmlFor="source-url">{t('addSite.url')}</label>
        <input id="source-url" type="text" inputMode="url" autoComplete="url" required value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://www.example.com/help" />
      </div>
      <fieldset className="inline-options">
        <legend>{t('addSite.what')}</legend>
        <label>
          <input type="radio" name="source-kind" checked={kind === 'website'} onChange={() => setKind('website')} /> {t('addSite.website')}
        </label>
        <label>
          <input type="radio" name="source-kind" checked={kind === 'page'} onChange={() => setKind('page')} /> {t('addSite.page')}
        </label>
      </fieldset>
      <div>
        <button type="submit" className="primary" disabled={busy || !url.trim()}>
          {busy ? t('addSite.adding') : t('addSite.submit')}
        </button>
      </div>
      <ErrorNote error={error} />
    </form>
  );
}
