// The widget's settings with a live preview of the real widget: persona, languages, greeting, starter
// questions, colours, position and email capture. The preview shows the draft before it is saved.
import { useEffect, useState, type FormEvent } from 'react';
import { useSignedIn } from '../../app/auth.tsx';
import { useSites } from '../../app/sites.tsx';
import { useI18n } from '../../i18n/index.ts';
import { api, ApiError } from '../../lib/api.ts';
import { dashboardHost, previewAllowed, widgetConfig } from '../../lib/embed.ts';
import { can } from '../../lib/permissions.ts';
import type { SiteSettings, SiteView } from '../../lib/types.ts';
import { ErrorNote } from '../../ui/basics.tsx';
import { WidgetPreview } from '../../ui/WidgetPreview.tsx';
import { PreviewSection } from '../Onboarding.tsx';

/** The widget languages (contracts/sites.ts `languages`) with their names. */
const widgetLanguages = [
  ['en', 'English'],
  ['fi', 'Suomi'],
  ['sv', 'Svenska'],
  ['de', 'Deutsch'],
  ['fr', 'Français'],
  ['es', 'Español'],
] as const;

/** The settings form and its preview. */
export function WidgetSettings({ site }: { site: SiteView }) {
  const { t } = useI18n();
  const { me, tenant } = useSignedIn();
  const { put } = useSites();
  const manage = can(me.role, 'manageSites');
  const [draft, setDraft] = useState<SiteSettings>(site.settings);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => setDraft(site.settings), [site.settings]);
  const set = <K extends keyof SiteSettings>(k: K, v: SiteSettings[K]) => {
    setSaved(false);
    setDraft((d) => ({ ...d, [k]: v }));
  };
  const dirty = JSON.stringify(draft) !== JSON.stringify(site.settings);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const settings = { ...draft, starterQuestions: draft.starterQuestions.map((q) => q.trim()).filter(Boolean) };
      put(await api<SiteView>(`/sites/${site.id}`, { method: 'PATCH', body: { settings } }));
      setSaved(true);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  const starters = draft.starterQuestions;
  return (
    <div className="grid settings-grid">
      <form className="card stack" onSubmit={submit} aria-labelledby="widget-h">
        <h2 id="widget-h">{t('settings.widget')}</h2>
        <fieldset disabled={!manage} className="plain">
          <div className="field">
            <label htmlFor="greeting">{t('settings.greeting')}</label>
            <input id="greeting" required maxLength={500} value={draft.greeting} onChange={(e) => set('greeting', e.target.value)} />
          </div>
          <fieldset>
            <legend>{t('settings.starters')}</legend>
            {starters.map((q, i) => (
              <div className="row" key={i}>
                <label className="visually-hidden" htmlFor={`starter-${i}`}>
                  {t('settings.starterN', { n: i + 1 })}
                </label>
                <input id={`starter-${i}`} maxLength={200} value={q} onChange={(e) => set('starterQuestions', starters.map((s, j) => (j === i ? e.target.value : s)))} />
                {manage ? (
                  <button type="button" onClick={() => set('starterQuestions', starters.filter((_, j) => j !== i))} aria-label={t('settings.removeStarter', { n: i + 1 })}>
                    {t('common.remove')}
                  </button>
                ) : null}
              </div>
            ))}
            {manage && starters.length < 6 ? (
              <button type="button" onClick={() => set('starterQuestions', [...starters, ''])}>
                {t('settings.addStarter')}
              </button>
            ) : null}
          </fieldset>
          <fieldset>
            <legend>{t('settings.languages')}</legend>
            <div className="inline-options">
              {widgetLanguages.map(([code, name]) => (
                <label key={code}>
                  <input
                    type="checkbox"
                    checked={draft.languages.includes(code)}
                    onChange={(e) => set('languages', e.target.checked ? [...draft.languages, code] : draft.languages.filter((l) => l !== code))}
                  />{' '}
                  {name}
                </label>
              ))}
            </div>
          </fieldset>
          <fieldset>
            <legend>{t('settings.look')}</legend>
            <div className="inline-options">
              <label>
                <input type="color" value={draft.colors.primary} onChange={(e) => set('colors', { ...draft.colors, primary: e.target.value })} /> {t('settings.primary')}
              </label>
              <label>
                <input type="color" value={draft.colors.text} onChange={(e) => set('colors', { ...draft.colors, text: e.target.value })} /> {t('settings.textColor')}
              </label>
            </div>
            <div className="inline-options">
              <label>
                <input type="radio" name="position" checked={draft.position === 'bottom-right'} onChange={() => set('position', 'bottom-right')} /> {t('settings.right')}
              </label>
              <label>
                <input type="radio" name="position" checked={draft.position === 'bottom-left'} onChange={() => set('position', 'bottom-left')} /> {t('settings.left')}
              </label>
            </div>
          </fieldset>
          <div className="field">
            <label htmlFor="capture">{t('settings.capture')}</label>
            <select id="capture" value={draft.emailCapture} onChange={(e) => set('emailCapture', e.target.value as SiteSettings['emailCapture'])}>
              <option value="on_request">{t('settings.capture.on_request')}</option>
              <option value="after_first_answer">{t('settings.capture.after_first_answer')}</option>
              <option value="off">{t('settings.capture.off')}</option>
            </select>
          </div>
          <div className="field">
            <label htmlFor="persona">{t('settings.persona')}</label>
            <textarea id="persona" rows={4} maxLength={2000} value={draft.persona} disabled={!tenant.features.customPersona} onChange={(e) => set('persona', e.target.value)} aria-describedby="persona-help" />
            <p id="persona-help" className="small muted">
              {tenant.features.customPersona ? t('settings.personaHelp') : t('settings.personaTier', { tier: t(`tier.${tenant.tier}`) })}
            </p>
          </div>
        </fieldset>
        {manage ? (
          <div className="row">
            <button type="submit" className="primary" disabled={busy || !dirty || !draft.languages.length}>
              {busy ? t('common.saving') : t('settings.save')}
            </button>
            <button type="button" disabled={busy || !dirty} onClick={() => setDraft(site.settings)}>
              {t('settings.discard')}
            </button>
            <span role="status" className="small">
              {saved ? t('common.saved') : dirty ? t('settings.unsaved') : ''}
            </span>
          </div>
        ) : null}
        <ErrorNote error={error} />
      </form>
      <section className="card" aria-labelledby="preview-h">
        <h2 id="preview-h">{t('settings.preview')}</h2>
        {previewAllowed(site) ? (
          <>
            <p className="small muted">{t('settings.previewHelp', { host: dashboardHost() })}</p>
            <WidgetPreview spec={{ key: site.embedKey, site: site.name, config: widgetConfig(site.name, draft, !tenant.features.removeBranding) }} />
          </>
        ) : (
          <PreviewSection site={site} />
        )}
      </section>
    </div>
  );
}
