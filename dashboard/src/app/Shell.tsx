// The frame around every signed-in page: header (site picker, workspace switcher, theme, account),
// navigation (collapsible on small screens), and the main area.
import { useEffect, useState, type ReactNode } from 'react';
import { errorText, useI18n, type StringKey } from '../i18n/index.ts';
import { can } from '../lib/permissions.ts';
import { applyTheme, loadTheme, type Theme } from '../lib/prefs.ts';
import { navigate, useLocation } from '../lib/router.ts';
import { Link } from '../ui/basics.tsx';
import { useSignedIn } from './auth.tsx';
import { useSites } from './sites.tsx';

const siteNav: { path: string; key: StringKey }[] = [
  { path: 'conversations', key: 'nav.conversations' },
  { path: 'leads', key: 'nav.leads' },
  { path: 'knowledge', key: 'nav.knowledge' },
  { path: 'insights', key: 'nav.insights' },
  { path: 'settings', key: 'nav.settings' },
];

/** The signed-in layout; `siteId` is the site the page is about (if any). */
export function Shell({ siteId, children }: { siteId: string | null; children: ReactNode }) {
  const { t, lang } = useI18n();
  const { me, tenant, switchTenant, signOut } = useSignedIn();
  const { sites, lastSiteId } = useSites();
  const { path } = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const [switchError, setSwitchError] = useState('');
  const currentSite = siteId ?? lastSiteId();
  useEffect(() => setMenuOpen(false), [path]);

  const onSite = (id: string) => {
    const section = path.split('/')[3] ?? 'conversations';
    navigate(`/sites/${id}/${siteNav.some((n) => n.path === section) ? section : 'conversations'}`);
  };
  const onTenant = async (id: string) => {
    setSwitchError('');
    try {
      await switchTenant(id);
      navigate('/');
    } catch (err) {
      setSwitchError(errorText(lang, err as Error));
    }
  };

  return (
    <div className="shell">
      <a className="skip" href="#main">
        {t('nav.skip')}
      </a>
      <header className={menuOpen ? 'topbar open' : 'topbar'}>
        <Link to="/" className="brand">
          Cloop
        </Link>
        <button type="button" className="menu-button" aria-expanded={menuOpen} aria-controls="nav topbar-tools" onClick={() => setMenuOpen(!menuOpen)}>
          {t('nav.menu')}
        </button>
        <div className="topbar-tools" id="topbar-tools">
          {me.memberships.length > 1 ? (
            <label className="inline">
              <span className="label">{t('nav.workspace')}</span>
              <select value={tenant.id} onChange={(e) => void onTenant(e.target.value)}>
                {me.memberships.map((m) => (
                  <option key={m.tenantId} value={m.tenantId}>
                    {m.tenantName}
                  </option>
                ))}
              </select>
            </label>
          ) : (
            <span className="workspace-name">{tenant.name}</span>
          )}
          <ThemeToggle />
          <button type="button" onClick={() => void signOut()}>
            {t('nav.signOut')}
          </button>
        </div>
        {switchError ? (
          <p className="note error" role="alert">
            {switchError}
          </p>
        ) : null}
      </header>
      <div className="layout">
        <nav id="nav" className={menuOpen ? 'sidebar open' : 'sidebar'} aria-label={t('nav.main')}>
          {sites && sites.length > 0 ? (
            <label className="site-picker">
              <span className="label">{t('nav.site')}</span>
              <select value={currentSite ?? ''} onChange={(e) => onSite(e.target.value)}>
                {sites.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.name}
                  </option>
                ))}
              </select>
            </label>
          ) : null}
          {currentSite ? (
            <ul>
              {siteNav.map((n) => {
                const to = `/sites/${currentSite}/${n.path}`;
                return (
                  <li key={n.path}>
                    <Link to={to} current={path.startsWith(to)}>
                      {t(n.key)}
                    </Link>
                  </li>
                );
              })}
            </ul>
          ) : null}
          <ul>
            {can(me.role, 'manageSites') ? (
              <li>
                <Link to="/start" current={path.startsWith('/start')}>
                  {t('nav.newSite')}
                </Link>
              </li>
            ) : null}
            <li>
              <Link to="/usage" current={path === '/usage'}>
                {t('nav.usage')}
              </Link>
            </li>
            <li>
              <Link to="/team" current={path === '/team'}>
                {t('nav.team')}
              </Link>
            </li>
            {can(me.role, 'readAudit') ? (
              <li>
                <Link to="/audit" current={path === '/audit'}>
                  {t('nav.audit')}
                </Link>
              </li>
            ) : null}
            <li>
              <Link to="/account" current={path === '/account'}>
                {t('nav.account')}
              </Link>
            </li>
          </ul>
          <p className="small muted who">{me.user.email ?? me.user.name}</p>
        </nav>
        <main id="main" tabIndex={-1}>
          {children}
        </main>
      </div>
    </div>
  );
}

/** Light / dark / system, remembered in localStorage. */
export function ThemeToggle() {
  const { t } = useI18n();
  const [theme, setTheme] = useState<Theme>(loadTheme);
  const order: Theme[] = ['system', 'light', 'dark'];
  const next = order[(order.indexOf(theme) + 1) % order.length]!;
  return (
    <button
      type="button"
      onClick={() => {
        applyTheme(next);
        setTheme(next);
      }}
      aria-label={t('theme.switch', { current: t(`theme.${theme}`), next: t(`theme.${next}`) })}
    >
      {t(`theme.${theme}`)}
    </button>
  );
}
