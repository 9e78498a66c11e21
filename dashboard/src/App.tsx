// The app: language, session, then either the sign-in page or the signed-in pages by path.
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { AuthProvider, NoticeText, useAuth, useSignedIn } from './app/auth.tsx';
import { Shell } from './app/Shell.tsx';
import { SitesProvider, useSites } from './app/sites.tsx';
import { I18nContext, pluralizer, translator, useI18n } from './i18n/index.ts';
import { can } from './lib/permissions.ts';
import { loadLanguage, saveLanguage } from './lib/prefs.ts';
import { match, navigate, useLocation } from './lib/router.ts';
import type { SiteView } from './lib/types.ts';
import { Account } from './pages/Account.tsx';
import { Audit } from './pages/Audit.tsx';
import { Conversations } from './pages/Conversations.tsx';
import { Insights } from './pages/Insights.tsx';
import { Knowledge } from './pages/Knowledge.tsx';
import { Leads } from './pages/Leads.tsx';
import { Onboarding } from './pages/Onboarding.tsx';
import { SiteSettingsPage } from './pages/SiteSettings.tsx';
import { SignIn } from './pages/SignIn.tsx';
import { Team } from './pages/Team.tsx';
import { Transcript } from './pages/Transcript.tsx';
import { Usage } from './pages/Usage.tsx';
import { Banner, Empty, ErrorNote, Link, Loading, PageHeader } from './ui/basics.tsx';

/** The whole dashboard. */
export function App() {
  const [lang, setLangState] = useState<string>(loadLanguage);
  const i18n = useMemo(() => ({ lang, t: translator(lang), plural: pluralizer(lang), setLang: (l: string) => (saveLanguage(l), setLangState(l)) }), [lang]);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  return (
    <I18nContext.Provider value={i18n}>
      <AuthProvider>
        <Gate />
      </AuthProvider>
    </I18nContext.Provider>
  );
}

function Gate() {
  const { status, tenant } = useAuth();
  if (status === 'loading') return <Loading />;
  if (status === 'signedOut' || !tenant) return <SignIn />;
  return (
    <SitesProvider tenantId={tenant.id}>
      <Routes />
    </SitesProvider>
  );
}

const sitePages: Record<string, (site: SiteView) => ReactNode> = {
  conversations: (site) => <Conversations site={site} />,
  leads: (site) => <Leads site={site} />,
  knowledge: (site) => <Knowledge site={site} />,
  insights: (site) => <Insights site={site} />,
  settings: (site) => <SiteSettingsPage site={site} />,
};

function Routes() {
  const { path } = useLocation();
  const { t } = useI18n();
  const { notice, dismissNotice } = useAuth();
  const siteId = match('/sites/:siteId/:page', path)?.siteId ?? match('/sites/:siteId/conversations/:cid', path)?.siteId ?? match('/start/:siteId', path)?.siteId ?? null;
  return (
    <Shell siteId={siteId}>
      {notice ? (
        <Banner kind={notice.kind === 'error' ? 'error' : 'success'}>
          <NoticeText notice={notice} />
          <button type="button" onClick={dismissNotice}>
            {t('common.ok')}
          </button>
        </Banner>
      ) : null}
      <Page path={path} />
    </Shell>
  );
}

function Page({ path }: { path: string }) {
  const { t } = useI18n();
  let m: Record<string, string> | null;
  if (path === '/' || path === '') return <Home />;
  if (path === '/start') return <Onboarding siteId={null} />;
  if ((m = match('/start/:siteId', path))) return <Onboarding siteId={m.siteId!} />;
  if ((m = match('/sites/:siteId/conversations/:conversationId', path))) {
    const cid = m.conversationId!;
    return <WithSite id={m.siteId!} render={(site) => <Transcript site={site} conversationId={cid} />} />;
  }
  if ((m = match('/sites/:siteId/:page', path)) && sitePages[m.page!]) return <WithSite id={m.siteId!} render={sitePages[m.page!]!} />;
  if (path === '/usage') return <Usage />;
  if (path === '/team') return <Team />;
  if (path === '/audit') return <Audit />;
  if (path === '/account') return <Account />;
  return (
    <>
      <PageHeader title={t('notFound.title')} />
      <p>
        <Link to="/">{t('notFound.home')}</Link>
      </p>
    </>
  );
}

/** Renders a site page once the site is known; another workspace's or a deleted site is "not found". */
function WithSite({ id, render }: { id: string; render: (site: SiteView) => ReactNode }) {
  const { t } = useI18n();
  const { sites, error, remember } = useSites();
  const site = sites?.find((s) => s.id === id);
  useEffect(() => {
    if (site) remember(site.id);
  }, [site, remember]);
  if (error) return <ErrorNote error={error} />;
  if (!sites) return <Loading />;
  if (!site)
    return (
      <>
        <PageHeader title={t('site.notFound')} />
        <p>
          <Link to="/">{t('notFound.home')}</Link>
        </p>
      </>
    );
  return <>{render(site)}</>;
}

/** `/app/`: the last site's inbox, or the first-site flow when there is none. */
function Home() {
  const { t } = useI18n();
  const { me } = useSignedIn();
  const { sites, error, lastSiteId } = useSites();
  const target = sites ? (sites.length === 0 ? (can(me.role, 'manageSites') ? '/start' : null) : `/sites/${lastSiteId()}/conversations`) : null;
  useEffect(() => {
    if (target) navigate(target, { replace: true });
  }, [target]);
  if (error) return <ErrorNote error={error} />;
  if (sites && sites.length === 0 && !target)
    return (
      <>
        <PageHeader title={t('home.noSitesTitle')} />
        <Empty>{t('home.noSitesMember')}</Empty>
      </>
    );
  return <Loading />;
}
