// The inbox: conversations filtered by phase, lead status, confidence, date and text, a page at a
// time. Visitor text is shown as text.
import { useState, type FormEvent } from 'react';
import { useI18n } from '../i18n/index.ts';
import { query } from '../lib/api.ts';
import { dateTime, dayEnd, dayStart, percent } from '../lib/format.ts';
import { usePaged } from '../lib/hooks.ts';
import { setParams, useLocation } from '../lib/router.ts';
import type { ConversationSummary, SiteView } from '../lib/types.ts';
import { Empty, ErrorNote, Link, Loading, PageHeader, Pager } from '../ui/basics.tsx';
import { LeadBadge, PhaseBadge } from '../ui/badges.tsx';

const filterNames = ['phase', 'lead', 'confidence', 'from', 'to', 'q'] as const;
type Filters = Record<(typeof filterNames)[number], string>;

function filtersFrom(params: URLSearchParams): Filters {
  return Object.fromEntries(filterNames.map((n) => [n, params.get(n) ?? ''])) as Filters;
}

/** The conversations of a site. */
export function Conversations({ site }: { site: SiteView }) {
  const { t, lang, plural } = useI18n();
  const { params } = useLocation();
  const applied = filtersFrom(params);
  const [draft, setDraft] = useState<Filters>(applied);
  const path = `/sites/${site.id}/conversations${query({
    phase: applied.phase,
    lead: applied.lead,
    maxConfidence: applied.confidence,
    from: dayStart(applied.from),
    to: dayEnd(applied.to),
    q: applied.q.trim(),
  })}`;
  const list = usePaged<ConversationSummary>(path);
  const set = (name: keyof Filters) => (e: { target: { value: string } }) => setDraft({ ...draft, [name]: e.target.value });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setParams(draft);
  };
  const clear = () => {
    const empty = Object.fromEntries(filterNames.map((n) => [n, ''])) as Filters;
    setDraft(empty);
    setParams(empty);
  };
  return (
    <>
      <PageHeader title={t('inbox.title')} intro={t('inbox.intro', { site: site.name })} />
      <form className="filters card" onSubmit={submit} aria-label={t('inbox.filters')}>
        <div className="field">
          <label htmlFor="f-q">{t('inbox.text')}</label>
          <input id="f-q" type="search" maxLength={200} value={draft.q} onChange={set('q')} />
        </div>
        <div className="field">
          <label htmlFor="f-phase">{t('inbox.phase')}</label>
          <select id="f-phase" value={draft.phase} onChange={set('phase')}>
            <option value="">{t('common.any')}</option>
            <option value="exploring">{t('phase.exploring')}</option>
            <option value="learning">{t('phase.learning')}</option>
            <option value="requesting_contact">{t('phase.requesting_contact')}</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-lead">{t('inbox.lead')}</label>
          <select id="f-lead" value={draft.lead} onChange={set('lead')}>
            <option value="">{t('common.any')}</option>
            <option value="none">{t('inbox.noLead')}</option>
            <option value="new">{t('lead.new')}</option>
            <option value="contacted">{t('lead.contacted')}</option>
            <option value="closed">{t('lead.closed')}</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-conf">{t('inbox.confidence')}</label>
          <select id="f-conf" value={draft.confidence} onChange={set('confidence')}>
            <option value="">{t('common.any')}</option>
            <option value="0.3">{t('inbox.confBelow', { pct: percent(0.3, lang) })}</option>
            <option value="0.5">{t('inbox.confBelow', { pct: percent(0.5, lang) })}</option>
            <option value="0.7">{t('inbox.confBelow', { pct: percent(0.7, lang) })}</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-from">{t('common.from')}</label>
          <input id="f-from" type="date" value={draft.from} onChange={set('from')} />
        </div>
        <div className="field">
          <label htmlFor="f-to">{t('common.to')}</label>
          <input id="f-to" type="date" value={draft.to} onChange={set('to')} />
        </div>
        <div className="filter-actions">
          <button type="submit" className="primary">
            {t('common.filter')}
          </button>
          <button type="button" onClick={clear}>
            {t('common.clear')}
          </button>
        </div>
      </form>
      <ErrorNote error={list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && !list.data.items.length ? <Empty>{filterNames.some((n) => applied[n]) ? t('inbox.noneFiltered') : t('inbox.none')}</Empty> : null}
      {list.data?.items.length ? (
        <ul className="conversations" aria-busy={list.loading}>
          {list.data.items.map((c) => (
            <li key={c.id} className="card conversation">
              <Link to={`/sites/${site.id}/conversations/${c.id}`} className="conversation-link">
                <span className="question">{c.firstQuestion ?? t('inbox.noQuestion')}</span>
              </Link>
              <p className="meta small">
                <span>{dateTime(c.createdAt, lang)}</span>
                <PhaseBadge phase={c.phase} />
                <span>{plural('count.messages', c.messageCount)}</span>
                <span>{t('inbox.confidenceValue', { pct: percent(c.confidence, lang) })}</span>
                {c.lead ? (
                  <span>
                    <span className="break">{c.lead.email}</span> <LeadBadge status={c.lead.status} />
                  </span>
                ) : null}
              </p>
              {c.entryPage ? <p className="small muted break">{t('inbox.entry', { url: c.entryPage })}</p> : null}
            </li>
          ))}
        </ul>
      ) : null}
      <Pager {...list} label={t('inbox.pages')} />
    </>
  );
}
