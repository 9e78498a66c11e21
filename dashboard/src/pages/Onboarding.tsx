// The first-site flow, one step at a time: create the site → add content and watch it being read →
// try the real widget right here → copy the snippet. Each step has its own address (/start/:siteId?step=).
import { useState, type FormEvent } from 'react';
import { useSignedIn } from '../app/auth.tsx';
import { useSites } from '../app/sites.tsx';
import { useI18n } from '../i18n/index.ts';
import { api, ApiError } from '../lib/api.ts';
import { dashboardHost, hostOf, previewAllowed, snippet, widgetConfig } from '../lib/embed.ts';
import { can } from '../lib/permissions.ts';
import { navigate, useLocation } from '../lib/router.ts';
import type { SiteView, SourceProgress } from '../lib/types.ts';
import { Banner, CopyButton, Empty, ErrorNote, Link, Loading, PageHeader } from '../ui/basics.tsx';
import { WidgetPreview } from '../ui/WidgetPreview.tsx';
import { AddWebsite } from './knowledge/AddWebsite.tsx';
import { SourceList } from './knowledge/SourceList.tsx';
import { Uploads } from './knowledge/Uploads.tsx';
import { useSources } from './knowledge/useSources.ts';

const steps = ['site', 'content', 'try', 'install'] as const;
type Step = (typeof steps)[number];

/** The onboarding page; `siteId` null is the first step. */
export function Onboarding({ siteId }: { siteId: string | null }) {
  const { t } = useI18n();
  const { me } = useSignedIn();
  const { sites } = useSites();
  const { params } = useLocation();
  const requested = params.get('step') as Step | null;
  const step: Step = siteId ? (requested && steps.includes(requested) && requested !== 'site' ? requested : 'content') : 'site';
  const site = siteId ? sites?.find((s) => s.id === siteId) : undefined;
  if (!can(me.role, 'manageSites')) return <Empty>{t('start.adminsOnly')}</Empty>;
  return (
    <>
      <PageHeader title={t('start.title')} intro={t('start.intro')} />
      <ol className="steps">
        {steps.map((s, i) => (
          <li key={s} aria-current={s === step ? 'step' : undefined} className={steps.indexOf(step) > i ? 'done' : undefined}>
            <span className="step-n">{i + 1}</span> {t(`start.step.${s}`)}
          </li>
        ))}
      </ol>
      {step === 'site' ? <CreateSite /> : !sites ? <Loading /> : !site ? <ErrorNote error={new ApiError('site_not_found', t('site.notFound'), 404)} /> : null}
      {site && step === 'content' ? <AddContent site={site} initialUrl={params.get('url') ?? ''} /> : null}
      {site && step === 'try' ? <TryIt site={site} /> : null}
      {site && step === 'install' ? <Install site={site} /> : null}
    </>
  );
}

function CreateSite() {
  const { t } = useI18n();
  const { put } = useSites();
  const [name, setName] = useState('');
  const [address, setAddress] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const host = hostOf(address);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const domains = [...new Set([host, dashboardHost()].filter(Boolean))];
      const site = await api<SiteView>('/sites', { method: 'POST', body: { name: name.trim(), domains } });
      put(site);
      const url = /^https?:\/\//i.test(address.trim()) ? address.trim() : `https://${host}/`;
      navigate(`/start/${site.id}?step=content&url=${encodeURIComponent(url)}`);
    } catch (err) {
      setError(err as ApiError);
      setBusy(false);
    }
  };
  return (
    <section className="card" aria-labelledby="create-h">
      <h2 id="create-h">{t('start.step.site')}</h2>
      <form className="stack" onSubmit={submit}>
        <div className="field">
          <label htmlFor="site-name">{t('start.name')}</label>
          <input id="site-name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} placeholder={t('start.namePlaceholder')} />
        </div>
        <div className="field">
          <label htmlFor="site-address">{t('start.address')}</label>
          <input id="site-address" required inputMode="url" value={address} onChange={(e) => setAddress(e.target.value)} placeholder="https://www.example.com" aria-describedby="site-address-help" />
          <p id="site-address-help" className="small muted">
            {t('start.addressHelp', { host: dashboardHost() })}
          </p>
        </div>
        <div>
          <button type="submit" className="primary" disabled={busy || !name.trim() || !host}>
            {busy ? t('start.creating') : t('start.create')}
          </button>
        </div>
        <ErrorNote error={error} />
      </form>
    </section>
  );
}

function AddContent({ site, initialUrl }: { site: SiteView; initialUrl: string }) {
  const { t } = useI18n();
  const { tenant } = useSignedIn();
  const { sources, error, upsert, remove } = useSources(site.id);
  const indexed = sources?.some((s) => s.status === 'ready' || ((s.progress as SourceProgress).indexed ?? 0) > 0);
  return (
    <>
      <div className="grid two">
        <section className="card" aria-labelledby="web-h">
          <h2 id="web-h">{t('start.website')}</h2>
          <AddWebsite siteId={site.id} initialUrl={sources?.length ? '' : initialUrl} onAdded={upsert} />
        </section>
        <section className="card" aria-labelledby="docs-h">
          <h2 id="docs-h">{t('start.documents')}</h2>
          <Uploads siteId={site.id} maxBytes={tenant.limits.uploadBytes} onUploaded={upsert} />
        </section>
      </div>
      <section className="card" aria-labelledby="progress-h">
        <h2 id="progress-h">{t('start.progress')}</h2>
        <ErrorNote error={error} />
        {sources ? <SourceList siteId={site.id} sources={sources} canManage onChange={upsert} onRemoved={remove} /> : <Loading />}
      </section>
      <div className="step-nav">
        <button type="button" className="primary" disabled={!indexed} onClick={() => navigate(`/start/${site.id}?step=try`)}>
          {t('start.next.try')}
        </button>
        {!indexed ? <p className="small muted">{t('start.waitIndexed')}</p> : null}
        <Link to={`/start/${site.id}?step=install`}>{t('start.skip')}</Link>
      </div>
    </>
  );
}

/** The preview of the real widget, with the domain it needs. */
export function PreviewSection({ site }: { site: SiteView }) {
  const { t } = useI18n();
  const { me, tenant } = useSignedIn();
  const { put } = useSites();
  const [error, setError] = useState<ApiError | null>(null);
  const allowed = previewAllowed(site);
  const allow = async () => {
    setError(null);
    try {
      put(await api<SiteView>(`/sites/${site.id}`, { method: 'PATCH', body: { domains: [...site.domains, dashboardHost()] } }));
    } catch (err) {
      setError(err as ApiError);
    }
  };
  return (
    <>
      {allowed ? (
        <p className="small muted">{t('preview.domainNote', { host: dashboardHost() })}</p>
      ) : (
        <Banner kind="warning">
          <p>{t('preview.domainMissing', { host: dashboardHost() })}</p>
          {can(me.role, 'manageSites') ? (
            <button type="button" onClick={() => void allow()}>
              {t('preview.allow', { host: dashboardHost() })}
            </button>
          ) : null}
        </Banner>
      )}
      <ErrorNote error={error} />
      {allowed ? <WidgetPreview spec={{ key: site.embedKey, site: site.domains.find((d) => d !== dashboardHost()) ?? site.name, config: widgetConfig(site.name, site.settings, !tenant.features.removeBranding) }} /> : null}
    </>
  );
}

function TryIt({ site }: { site: SiteView }) {
  const { t } = useI18n();
  return (
    <>
      <section className="card" aria-labelledby="try-h">
        <h2 id="try-h">{t('start.step.try')}</h2>
        <p>{t('start.tryIntro')}</p>
        <PreviewSection site={site} />
      </section>
      <div className="step-nav">
        <Link to={`/start/${site.id}?step=content`}>{t('start.back')}</Link>
        <button type="button" className="primary" onClick={() => navigate(`/start/${site.id}?step=install`)}>
          {t('start.next.install')}
        </button>
      </div>
    </>
  );
}

function Install({ site }: { site: SiteView }) {
  const { t } = useI18n();
  const code = snippet(site.embedKey);
  return (
    <>
      <section className="card" aria-labelledby="install-h">
        <h2 id="install-h">{t('start.step.install')}</h2>
        <p>{t('start.installIntro')}</p>
        <pre className="code">{code}</pre>
        <CopyButton text={code} label={t('snippet.copy')} />
        <p className="small muted">{t('start.installDomains', { domains: site.domains.join(', ') })}</p>
      </section>
      <div className="step-nav">
        <Link to={`/start/${site.id}?step=try`}>{t('start.back')}</Link>
        <Link to={`/sites/${site.id}/conversations`} className="button primary">
          {t('start.finish')}
        </Link>
      </div>
    </>
  );
}
