// Account: the workspace's name, its plan with limits and features (Owners change the plan),
// interface preferences, signing out everywhere, and (Owners) the data export and termination.
import { useState, type FormEvent } from 'react';
import { terminationRetentionDays } from '../../../contracts/tenants.ts';
import { useSignedIn } from '../app/auth.tsx';
import { languages, useI18n } from '../i18n/index.ts';
import { api, ApiError } from '../lib/api.ts';
import { download } from '../lib/download.ts';
import { bytes, count, dateTime, usd } from '../lib/format.ts';
import { useAction } from '../lib/hooks.ts';
import { can } from '../lib/permissions.ts';
import { applyTheme, loadTheme, type Theme } from '../lib/prefs.ts';
import type { Tenant } from '../lib/types.ts';
import { Badge, ConfirmButton, ErrorNote, PageHeader } from '../ui/basics.tsx';

const tierNames: Tenant['tier'][] = ['free', 'pro', 'business'];

/** The account page. */
export function Account() {
  const { t } = useI18n();
  return (
    <>
      <PageHeader title={t('account.title')} intro={t('account.intro')} />
      <Workspace />
      <Plan />
      <div className="grid two">
        <Preferences />
        <Sessions />
      </div>
      <YourData />
    </>
  );
}

function Workspace() {
  const { t } = useI18n();
  const { me, tenant, refresh } = useSignedIn();
  const [name, setName] = useState(tenant.name);
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState(false);
  const manage = can(me.role, 'renameWorkspace');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await api('/tenant', { method: 'PATCH', body: { name: name.trim() } });
      setSaved(true);
      await refresh();
    } catch (err) {
      setError(err as ApiError);
    }
  };
  return (
    <section className="card" aria-labelledby="ws-h">
      <h2 id="ws-h">{t('account.workspace')}</h2>
      <p>{t('account.yourRole', { role: t(`role.${me.role ?? 'member'}`) })}</p>
      {manage ? (
        <form className="row-form" onSubmit={submit}>
          <div className="field">
            <label htmlFor="ws-name">{t('account.name')}</label>
            <input id="ws-name" required maxLength={200} value={name} onChange={(e) => (setName(e.target.value), setSaved(false))} />
          </div>
          <button type="submit" disabled={name.trim() === tenant.name}>
            {t('common.save')}
          </button>
          <span role="status" className="small">
            {saved ? t('common.saved') : ''}
          </span>
        </form>
      ) : (
        <p>{tenant.name}</p>
      )}
      <ErrorNote error={error} />
    </section>
  );
}

function Plan() {
  const { t, lang, plural } = useI18n();
  const { me, tenant, refresh } = useSignedIn();
  const [tier, setTier] = useState(tenant.tier);
  const change = useAction();
  const l = tenant.limits;
  const limits: [string, string][] = [
    [t('limit.sites'), count(l.sites, lang)],
    [t('limit.pagesPerSite'), count(l.pagesPerSite, lang)],
    [t('limit.documentsPerSite'), count(l.documentsPerSite, lang)],
    [t('limit.uploadBytes'), bytes(l.uploadBytes, lang)],
    [t('limit.members'), count(l.members, lang)],
    [t('limit.dailyBudget'), usd(tenant.dailyBudgetUsd, lang)],
    [t('limit.retention'), plural('limit.days', l.conversationRetentionDays)],
    [t('limit.resync'), plural('limit.hours', l.resyncIntervalHours)],
  ];
  const features = Object.entries(tenant.features) as [keyof Tenant['features'], boolean][];
  return (
    <section className="card" aria-labelledby="plan-h">
      <h2 id="plan-h">
        {t('account.plan')} <Badge tone="info">{t(`tier.${tenant.tier}`)}</Badge>
      </h2>
      <div className="grid two">
        <dl className="facts">
          {limits.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
        <ul className="features" aria-label={t('account.features')}>
          {features.map(([k, on]) => (
            <li key={k}>
              <Badge tone={on ? 'good' : 'neutral'}>{on ? t('account.included') : t('account.notIncluded')}</Badge> {t(`feature.${k}`)}
            </li>
          ))}
        </ul>
      </div>
      {can(me.role, 'changeTier') ? (
        <div className="row-form">
          <div className="field">
            <label htmlFor="tier">{t('account.changePlan')}</label>
            <select id="tier" value={tier} onChange={(e) => setTier(e.target.value as Tenant['tier'])}>
              {tierNames.map((n) => (
                <option key={n} value={n}>
                  {t(`tier.${n}`)}
                </option>
              ))}
            </select>
          </div>
          <ConfirmButton
            label={t('account.applyPlan')}
            question={t('account.planQuestion', { tier: t(`tier.${tier}`) })}
            confirmLabel={t('account.applyPlan')}
            busy={change.busy || tier === tenant.tier}
            onConfirm={() => void change.run(async () => (await api('/tenant/tier', { method: 'PUT', body: { tier } }), await refresh()))}
          />
        </div>
      ) : (
        <p className="small muted">{t('account.planOwners')}</p>
      )}
      <ErrorNote error={change.error} />
    </section>
  );
}

function Preferences() {
  const { t, lang, setLang } = useI18n();
  const [theme, setTheme] = useState<Theme>(loadTheme);
  return (
    <section className="card stack" aria-labelledby="prefs-h">
      <h2 id="prefs-h">{t('account.preferences')}</h2>
      <div className="field">
        <label htmlFor="pref-theme">{t('account.theme')}</label>
        <select
          id="pref-theme"
          value={theme}
          onChange={(e) => {
            const v = e.target.value as Theme;
            applyTheme(v);
            setTheme(v);
          }}
        >
          <option value="system">{t('theme.system')}</option>
          <option value="light">{t('theme.light')}</option>
          <option value="dark">{t('theme.dark')}</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor="pref-lang">{t('account.language')}</label>
        <select id="pref-lang" value={lang} onChange={(e) => setLang(e.target.value)}>
          {languages.map((l) => (
            <option key={l.code} value={l.code} lang={l.code}>
              {l.label}
            </option>
          ))}
        </select>
      </div>
      <p className="small muted">{t('account.prefsHelp')}</p>
    </section>
  );
}

function Sessions() {
  const { t } = useI18n();
  const { signOut } = useSignedIn();
  return (
    <section className="card stack" aria-labelledby="sessions-h">
      <h2 id="sessions-h">{t('account.sessions')}</h2>
      <p>{t('account.sessionsHelp')}</p>
      <div>
        <ConfirmButton label={t('account.signOutAll')} question={t('account.signOutAllQuestion')} confirmLabel={t('account.signOutAll')} onConfirm={() => void signOut(true)} />
      </div>
    </section>
  );
}

/** Owners: everything as one JSON file, and terminating the workspace (typed confirmation). */
function YourData() {
  const { t, lang, plural } = useI18n();
  const { me, tenant, signOut } = useSignedIn();
  const exporting = useAction();
  const terminating = useAction();
  const [confirm, setConfirm] = useState('');
  const [purgeAfter, setPurgeAfter] = useState<string | null>(null);
  if (!can(me.role, 'terminateWorkspace')) return null;
  if (purgeAfter)
    return (
      <section className="card stack" aria-labelledby="data-h" role="status">
        <h2 id="data-h">{t('account.terminated')}</h2>
        <p>{t('account.terminatedHelp', { date: dateTime(purgeAfter, lang) })}</p>
        <div>
          <button type="button" className="primary" onClick={() => void signOut()}>
            {t('account.terminatedContinue')}
          </button>
        </div>
      </section>
    );
  const terminate = (e: FormEvent) => {
    e.preventDefault();
    void terminating.run(async () => setPurgeAfter((await api<{ purgeAfter: string }>('/tenant', { method: 'DELETE', body: { confirm } })).purgeAfter));
  };
  return (
    <section className="card stack" aria-labelledby="data-h">
      <h2 id="data-h">{t('account.data')}</h2>
      <p>{t('account.exportHelp')}</p>
      <div>
        <button type="button" disabled={exporting.busy} onClick={() => void exporting.run(() => download('/tenant/export', `cloop-export-${new Date().toISOString().slice(0, 10)}.json`))}>
          {exporting.busy ? t('account.exporting') : t('account.export')}
        </button>
      </div>
      <ErrorNote error={exporting.error} />
      <h3>{t('account.terminate')}</h3>
      <p>{plural('account.terminateHelp', terminationRetentionDays)}</p>
      <form className="row-form" onSubmit={terminate}>
        <div className="field">
          <label htmlFor="terminate-confirm">{t('account.terminateConfirm', { name: tenant.name })}</label>
          <input id="terminate-confirm" autoComplete="off" maxLength={200} value={confirm} onChange={(e) => setConfirm(e.target.value)} />
        </div>
        <button type="submit" className="danger" disabled={terminating.busy || confirm.trim() !== tenant.name}>
          {t('account.terminateButton')}
        </button>
      </form>
      <ErrorNote error={terminating.error} />
    </section>
  );
}
