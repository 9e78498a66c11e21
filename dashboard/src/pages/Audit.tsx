// The audit log: who did what and when, filtered by action, person and time; newest first, paged.
import { useState, type FormEvent } from 'react';
import { useI18n } from '../i18n/index.ts';
import { query } from '../lib/api.ts';
import { dateTime, dayEnd, dayStart } from '../lib/format.ts';
import { useApi, usePaged } from '../lib/hooks.ts';
import { setParams, useLocation } from '../lib/router.ts';
import type { AuditEvent, Member } from '../lib/types.ts';
import { Empty, ErrorNote, Link, Loading, PageHeader, Pager } from '../ui/basics.tsx';

const actionGroups = ['auth.', 'site.', 'source.', 'conversation.', 'lead.', 'member.', 'tenant.', 'budget.'];

/** The audit page (Owners and Admins; the plan must include it). */
export function Audit() {
  const { t, lang } = useI18n();
  const { params } = useLocation();
  const applied = { action: params.get('action') ?? '', actor: params.get('actor') ?? '', from: params.get('from') ?? '', to: params.get('to') ?? '' };
  const [draft, setDraft] = useState(applied);
  const members = useApi<{ items: Member[] }>('/members');
  const names = new Map(members.data?.items.map((m) => [m.userId, m.email ?? m.name ?? m.userId]));
  const list = usePaged<AuditEvent>(`/audit${query({ action: applied.action, actor: applied.actor, from: dayStart(applied.from), to: dayEnd(applied.to) })}`, 50);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setParams(draft);
  };
  const who = (a: AuditEvent['actor']) => (a.type === 'user' && a.id ? (names.get(a.id) ?? a.id) : a.type === 'anonymous' ? t('audit.anonymous') : a.type);
  return (
    <>
      <PageHeader title={t('audit.title')} intro={t('audit.intro')} />
      <form className="filters card" onSubmit={submit} aria-label={t('audit.filters')}>
        <div className="field">
          <label htmlFor="a-action">{t('audit.action')}</label>
          <input id="a-action" list="a-actions" pattern="[a-z_.]*" value={draft.action} onChange={(e) => setDraft({ ...draft, action: e.target.value.toLowerCase() })} aria-describedby="a-action-help" />
          <datalist id="a-actions">
            {actionGroups.map((g) => (
              <option key={g} value={g} />
            ))}
          </datalist>
          <p id="a-action-help" className="small muted">
            {t('audit.actionHelp')}
          </p>
        </div>
        <div className="field">
          <label htmlFor="a-actor">{t('audit.actor')}</label>
          <select id="a-actor" value={draft.actor} onChange={(e) => setDraft({ ...draft, actor: e.target.value })}>
            <option value="">{t('common.anyone')}</option>
            {members.data?.items.map((m) => (
              <option key={m.userId} value={m.userId}>
                {m.email ?? m.name ?? m.userId}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="a-from">{t('common.from')}</label>
          <input id="a-from" type="date" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="a-to">{t('common.to')}</label>
          <input id="a-to" type="date" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />
        </div>
        <div className="filter-actions">
          <button type="submit" className="primary">
            {t('common.filter')}
          </button>
          <button
            type="button"
            onClick={() => {
              const empty = { action: '', actor: '', from: '', to: '' };
              setDraft(empty);
              setParams(empty);
            }}
          >
            {t('common.clear')}
          </button>
        </div>
      </form>
      <ErrorNote error={list.error}>
        {list.error?.code === 'feature_not_in_tier' ? (
          <p>
            <Link to="/account">{t('leads.seePlans')}</Link>
          </p>
        ) : null}
      </ErrorNote>
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && !list.data.items.length ? <Empty>{t('audit.none')}</Empty> : null}
      {list.data?.items.length ? (
        <div className="table-wrap">
          <table className="table responsive">
            <thead>
              <tr>
                <th scope="col">{t('audit.time')}</th>
                <th scope="col">{t('audit.actor')}</th>
                <th scope="col">{t('audit.action')}</th>
                <th scope="col">{t('audit.target')}</th>
                <th scope="col">{t('audit.details')}</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((e) => (
                <tr key={e.id}>
                  <td data-label={t('audit.time')}>{dateTime(e.time, lang)}</td>
                  <td className="break" data-label={t('audit.actor')}>
                    {who(e.actor)}
                  </td>
                  <td data-label={t('audit.action')}>
                    <code>{e.action}</code>
                  </td>
                  <td className="break small" data-label={t('audit.target')}>{e.target ? `${e.target.type} ${e.target.id ?? ''}` : '—'}</td>
                  <td data-label={t('audit.details')}>{e.metadata && typeof e.metadata === 'object' && Object.keys(e.metadata).length ? <pre className="meta-json">{JSON.stringify(e.metadata, null, 1)}</pre> : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <Pager {...list} label={t('audit.pages')} />
    </>
  );
}
