// The sign-in page: the enabled providers (a full-page navigation to the provider) and, where they
// are on, how to get a sign-in link.
import { useEffect, useState } from 'react';
import { NoticeText, useAuth } from '../app/auth.tsx';
import { ThemeToggle } from '../app/Shell.tsx';
import { errorText, useI18n } from '../i18n/index.ts';
import { ApiError, errorFrom, networkMessage } from '../lib/api.ts';
import { Banner, Loading } from '../ui/basics.tsx';

const providerNames: Record<string, string> = { google: 'Google', github: 'GitHub', microsoft: 'Microsoft' };

/** The page a signed-out visitor sees. */
export function SignIn() {
  const { t, lang } = useI18n();
  const { notice } = useAuth();
  const [state, setState] = useState<{ providers: string[]; signinLinks: boolean } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    document.title = `${t('signin.title')} · Cloop`;
    fetch('/api/auth/providers', { credentials: 'omit' })
      .then(async (res) => (res.ok ? setState((await res.json()) as { providers: string[]; signinLinks: boolean }) : setError(await errorFrom(res))))
      .catch(() => setError(new ApiError('network', networkMessage, 0)));
  }, [t]);

  return (
    <div className="signin">
      <main id="main" className="signin-card">
        <div className="signin-top">
          <p className="brand">Cloop</p>
          <ThemeToggle />
        </div>
        <h1>{t('signin.title')}</h1>
        <p className="muted">{t('signin.intro')}</p>
        {notice ? (
          <Banner kind={notice.kind === 'error' ? 'error' : 'info'}>
            <NoticeText notice={notice} />
          </Banner>
        ) : null}
        {error ? (
          <Banner kind="error">
            <p>{errorText(lang, error)}</p>
          </Banner>
        ) : null}
        {!state && !error ? <Loading /> : null}
        {state ? (
          <>
            <ul className="providers">
              {state.providers.map((p) => (
                <li key={p}>
                  <a className="button primary block" href={`/api/auth/${encodeURIComponent(p)}/start`}>
                    {t('signin.with', { provider: providerNames[p] ?? p })}
                  </a>
                </li>
              ))}
            </ul>
            {state.signinLinks ? (
              <div className="note info">
                <p>{state.providers.length ? t('signin.linkAlso') : t('signin.linkOnly')}</p>
                <pre className="code">npm run cloop -- signin-link --email you@example.com</pre>
              </div>
            ) : null}
            {!state.providers.length && !state.signinLinks ? <p>{t('signin.none')}</p> : null}
          </>
        ) : null}
      </main>
    </div>
  );
}
