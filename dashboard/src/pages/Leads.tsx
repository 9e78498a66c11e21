// Leads: visitors who left their email. Status editable (new → contacted → closed), filter by status,
// CSV export (tier-gated: the API's message says which plan includes it).
import { useState } from 'react';
import { useSignedIn } from '../app/auth.tsx';
import { useI18n } from '../i18n/index.ts';
import { api, ApiError, query } from '../lib/api.ts';
import { download } from '../lib/download.ts';
import { dateTime } from '../lib/format.ts';
import { useAction, usePaged } from '../lib/hooks.ts';
import { can } from '../lib/permissions.ts';
import { setParams, useLocation } from '../lib/router.ts';
import type { Lead, LeadStatus, SiteView } from '../lib/types.ts';
import { Empty, ErrorNote, Link, Loading, PageHeader, Pager, SafeLink } from '../ui/basics.tsx';
import { LeadBadge, PhaseBadge } from '../ui/badges.tsx';

const statuses: LeadStatus[] = ['new', 'contacted', 'closed'];

/** The leads of a site. */
export function Leads({ site }: { site: SiteView }) {
  const { t, lang } = useI18n();
  const { me } = useSignedIn();
  const { params } = useLocation();
  const status = params.get('status') ?? '';
  const list = usePaged<Lead>(`/sites/${site.id}/leads${query({ status })}`);
  const exporting = useAction();
  const manage = can(me.role, 'updateLeads');
  const exportCsv = () => void exporting.run(() => download(`/sites/${site.id}/leads.csv`, `leads-${site.name.replace(/[^\w-]+/g, '-').toLowerCase()}.csv`));
  return (
    <>
      <PageHeader
        title={t('leads.title')}
        intro={t('leads.intro')}
        actions={
          can(me.role, 'exportLeads') ? (
            <button type="button" onClick={exportCsv} disabled={exporting.busy}>
              {exporting.busy ? t('leads.exporting') : t('leads.export')}
            </button>
          ) : null
        }
      />
      <ErrorNote error={exporting.error}>
        {exporting.error?.code === 'feature_not_in_tier' ? (
          <p>
            <Link to="/account">{t('leads.seePlans')}</Link>
          </p>
        ) : null}
      </ErrorNote>
      <div className="filters card">
        <div className="field">
          <label htmlFor="lead-status">{t('leads.status')}</label>
          <select id="lead-status" value={status} onChange={(e) => setParams({ status: e.target.value })}>
            <option value="">{t('common.any')}</option>
            {statuses.map((s) => (
              <option key={s} value={s}>
                {t(`lead.${s}`)}
              </option>
            ))}
          </select>
        </div>
      </div>
      <ErrorNote error={list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && !list.data.items.length ? <Empty>{t('leads.none')}</Empty> : null}
      {list.data?.items.length ? (
        <div className="table-wrap">
          <table className="table responsive">
            <caption className="visually-hidden">{t('leads.title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('leads.email')}</th>
                <th scope="col">{t('leads.status')}</th>
                <th scope="col">{t('leads.conversation')}</th>
                <th scope="col">{t('leads.entry')}</th>
                <th scope="col">{t('leads.created')}</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((l) => (
                <LeadRow key={l.id} site={site} lead={l} manage={manage} lang={lang} onSaved={(saved) => list.setData((d) => d && { ...d, items: d.items.map((i) => (i.id === saved.id ? { ...i, status: saved.status } : i)) })} />
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <Pager {...list} label={t('leads.pages')} />
    </>
  );
}

function LeadRow({ site, lead, manage, lang, onSaved }: { site: SiteView; lead: Lead; manage: boolean; lang: string; onSaved(l: { id: string; status: LeadStatus }): void }) {
  const { t } = useI18n();
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const change = async (status: LeadStatus) => {
    setBusy(true);
    setError(null);
    try {
      onSaved(await api<{ id: string; status: LeadStatus }>(`/sites/${site.id}/leads/${lead.id}`, { method: 'PATCH', body: { status } }));
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <tr>
      <td className="break" data-label={t('leads.email')}>
        {lead.email}
      </td>
      <td data-label={t('leads.status')}>
        {manage ? (
          <>
            <label className="visually-hidden" htmlFor={`status-${lead.id}`}>
              {t('leads.statusOf', { email: lead.email })}
            </label>
            <select id={`status-${lead.id}`} value={lead.status} disabled={busy} onChange={(e) => void change(e.target.value as LeadStatus)}>
              {statuses.map((s) => (
                <option key={s} value={s}>
                  {t(`lead.${s}`)}
                </option>
              ))}
            </select>
          </>
        ) : (
          <LeadBadge status={lead.status} />
        )}
        <ErrorNote error={error} />
      </td>
      <td data-label={t('leads.conversation')}>
        <Link to={`/sites/${site.id}/conversations/${lead.conversationId}`}>{t('leads.open')}</Link> <PhaseBadge phase={lead.phase} />
      </td>
      <td data-label={t('leads.entry')}>
        <SafeLink href={lead.entryPage} />
      </td>
      <td data-label={t('leads.created')}>{dateTime(lead.createdAt, lang)}</td>
    </tr>
  );
}
