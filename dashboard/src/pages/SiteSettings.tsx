// A site's settings: the widget (with live preview), name and allowed domains, the embed snippet and
// key rotation, deleting the site.
import { useState, type FormEvent } from 'react';
import { useSignedIn } from '../app/auth.tsx';
import { useSites } from '../app/sites.tsx';
import { useI18n } from '../i18n/index.ts';
import { api, ApiError } from '../lib/api.ts';
import { dashboardHost, hostOf, snippet } from '../lib/embed.ts';
import { useAction } from '../lib/hooks.ts';
import { can } from '../lib/permissions.ts';
import { navigate } from '../lib/router.ts';
import type { SiteView } from '../lib/types.ts';
import { ConfirmButton, CopyButton, ErrorNote, PageHeader } from '../ui/basics.tsx';
import { WidgetSettings } from './settings/WidgetSettings.tsx';

/** The settings page of a site. */
export function SiteSettingsPage({ site }: { site: SiteView }) {
  const { t } = useI18n();
  return (
    <>
      <PageHeader title={t('settings.title')} intro={t('settings.intro', { site: site.name })} />
      <WidgetSettings site={site} />
      <div className="grid two">
        <NameAndDomains site={site} />
        <Embed site={site} />
      </div>
      <DeleteSite site={site} />
    </>
  );
}

function NameAndDomains({ site }: { site: SiteView }) {
  const { t } = useI18n();
  const { me } = useSignedIn();
  const { put } = useSites();
  const manage = can(me.role, 'manageSites');
  const [name, setName] = useState(site.name);
  const [domains, setDomains] = useState(site.domains);
  const [adding, setAdding] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState(false);
  const dirty = name !== site.name || JSON.stringify(domains) !== JSON.stringify(site.domains);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setSaved(false);
    try {
      const next = await api<SiteView>(`/sites/${site.id}`, { method: 'PATCH', body: { name: name.trim(), domains } });
      put(next);
      setDomains(next.domains);
      setSaved(true);
    } catch (err) {
      setError(err as ApiError);
    }
  };
  const add = () => {
    const host = hostOf(adding);
    if (host && !domains.includes(host)) setDomains([...domains, host]);
    setAdding('');
  };
  return (
    <form className="card stack" onSubmit={save} aria-labelledby="domains-h">
      <h2 id="domains-h">{t('settings.domains')}</h2>
      <fieldset disabled={!manage} className="plain">
        <div className="field">
          <label htmlFor="site-rename">{t('settings.name')}</label>
          <input id="site-rename" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <p className="small muted">{t('settings.domainsHelp')}</p>
        <ul className="domain-list" aria-label={t('settings.domains')}>
          {domains.map((d) => (
            <li key={d}>
              <span className="break">{d}</span>
              {d === dashboardHost() ? <span className="small muted"> {t('settings.previewDomain')}</span> : null}
              {manage ? (
                <button type="button" className="link" onClick={() => setDomains(domains.filter((x) => x !== d))} aria-label={t('settings.removeDomain', { domain: d })}>
                  {t('common.remove')}
                </button>
              ) : null}
            </li>
          ))}
        </ul>
        {manage ? (
          <div className="row">
            <label className="visually-hidden" htmlFor="add-domain">
              {t('settings.addDomain')}
            </label>
            <input id="add-domain" value={adding} placeholder="shop.example.com" onChange={(e) => setAdding(e.target.value)} onKeyDown={(e) => e.key === 'Enter' && (e.preventDefault(), add())} />
            <button type="button" onClick={add} disabled={!adding.trim()}>
              {t('settings.addDomain')}
            </button>
          </div>
        ) : null}
      </fieldset>
      {manage ? (
        <div className="row">
          <button type="submit" className="primary" disabled={!dirty}>
            {t('common.save')}
          </button>
          <span role="status" className="small">
            {saved ? t('common.saved') : ''}
          </span>
        </div>
      ) : null}
      <ErrorNote error={error} />
    </form>
  );
}

function Embed({ site }: { site: SiteView }) {
  const { t } = useI18n();
  const { me } = useSignedIn();
  const { put } = useSites();
  const rotate = useAction();
  const code = snippet(site.embedKey);
  return (
    <section className="card stack" aria-labelledby="embed-h">
      <h2 id="embed-h">{t('settings.embed')}</h2>
      <p>{t('settings.embedHelp')}</p>
      <pre className="code">{code}</pre>
      <div>
        <CopyButton text={code} label={t('snippet.copy')} />
      </div>
      {can(me.role, 'manageSites') ? (
        <>
          <p className="small">{t('settings.rotateWarning')}</p>
          <div>
            <ConfirmButton
              label={t('settings.rotate')}
              question={t('settings.rotateQuestion')}
              confirmLabel={t('settings.rotateConfirm')}
              danger
              busy={rotate.busy}
              onConfirm={() => void rotate.run(async () => put(await api<SiteView>(`/sites/${site.id}/rotate-key`, { method: 'POST' })))}
            />
          </div>
        </>
      ) : null}
      <ErrorNote error={rotate.error} />
    </section>
  );
}

function DeleteSite({ site }: { site: SiteView }) {
  const { t } = useI18n();
  const { me } = useSignedIn();
  const { reload } = useSites();
  const del = useAction();
  if (!can(me.role, 'manageSites')) return null;
  return (
    <section className="card danger-zone" aria-labelledby="delete-h">
      <h2 id="delete-h">{t('settings.deleteTitle')}</h2>
      <p>{t('settings.deleteHelp')}</p>
      <ConfirmButton
        label={t('settings.delete')}
        question={t('settings.deleteQuestion', { site: site.name })}
        confirmLabel={t('settings.deleteConfirm')}
        danger
        busy={del.busy}
        onConfirm={() =>
          void del.run(async () => {
            await api(`/sites/${site.id}`, { method: 'DELETE' });
            await reload();
            navigate('/');
          })
        }
      />
      <ErrorNote error={del.error} />
    </section>
  );
}
