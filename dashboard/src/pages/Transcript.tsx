// One conversation: entry page, phase changes, each answer's confidence and cited sources; delete.
// Everything the visitor or the model wrote is rendered as text.
import { useI18n } from '../i18n/index.ts';
import { useSignedIn } from '../app/auth.tsx';
import { api } from '../lib/api.ts';
import { dateTime, percent } from '../lib/format.ts';
import { useAction, useApi } from '../lib/hooks.ts';
import { can } from '../lib/permissions.ts';
import { navigate } from '../lib/router.ts';
import type { CitedSource, Conversation, SiteView } from '../lib/types.ts';
import { Badge, ConfirmButton, ErrorNote, Link, Loading, PageHeader, SafeLink } from '../ui/basics.tsx';
import { LeadBadge, PhaseBadge } from '../ui/badges.tsx';

function sourcesOf(value: unknown): CitedSource[] {
  return Array.isArray(value) ? (value.filter((s) => s && typeof s === 'object') as CitedSource[]) : [];
}

/** The transcript page. */
export function Transcript({ site, conversationId }: { site: SiteView; conversationId: string }) {
  const { t, lang } = useI18n();
  const { me } = useSignedIn();
  const { data: c, error, loading } = useApi<Conversation>(`/sites/${site.id}/conversations/${encodeURIComponent(conversationId)}`);
  const del = useAction();
  const back = `/sites/${site.id}/conversations`;
  const remove = () =>
    void del.run(async () => {
      await api(`/sites/${site.id}/conversations/${conversationId}`, { method: 'DELETE' });
      navigate(back);
    });
  let lastPhase: string | null = null;
  return (
    <>
      <p>
        <Link to={back}>{t('transcript.back')}</Link>
      </p>
      <PageHeader
        title={t('transcript.title')}
        actions={c && can(me.role, 'deleteConversations') ? <ConfirmButton label={t('transcript.delete')} question={t('transcript.deleteQuestion')} confirmLabel={t('common.delete')} danger busy={del.busy} onConfirm={remove} /> : null}
      />
      <ErrorNote error={error ?? del.error} />
      {loading && !c ? <Loading /> : null}
      {c ? (
        <>
          <dl className="facts card">
            <div>
              <dt>{t('transcript.started')}</dt>
              <dd>{dateTime(c.createdAt, lang)}</dd>
            </div>
            <div>
              <dt>{t('transcript.entry')}</dt>
              <dd>
                <SafeLink href={c.entryPage} />
              </dd>
            </div>
            <div>
              <dt>{t('transcript.phase')}</dt>
              <dd>
                <PhaseBadge phase={c.phase} />
              </dd>
            </div>
            <div>
              <dt>{t('transcript.lead')}</dt>
              <dd>
                {c.lead ? (
                  <>
                    <span className="break">{c.lead.email}</span> <LeadBadge status={c.lead.status} />
                  </>
                ) : (
                  t('transcript.noLead')
                )}
              </dd>
            </div>
            {c.language ? (
              <div>
                <dt>{t('transcript.language')}</dt>
                <dd>{c.language}</dd>
              </div>
            ) : null}
          </dl>
          <ol className="transcript" aria-label={t('transcript.messages')}>
            {c.messages.map((m) => {
              const phaseChanged = m.role === 'user' && m.phase && m.phase !== lastPhase;
              if (m.role === 'user' && m.phase) lastPhase = m.phase;
              const sources = sourcesOf(m.sources);
              return (
                <li key={m.id} className={`message ${m.role}`}>
                  {phaseChanged ? (
                    <p className="phase-change small">
                      {t('transcript.phaseNow')} <PhaseBadge phase={m.phase} />
                    </p>
                  ) : null}
                  <p className="who small">
                    {m.role === 'user' ? t('transcript.visitor') : t('transcript.assistant')} · {dateTime(m.createdAt, lang)}
                  </p>
                  <div className="bubble">{m.text}</div>
                  {m.role === 'assistant' ? (
                    <p className="small muted answer-meta">
                      {t('transcript.confidence', { pct: percent(m.confidence, lang) })}
                      {m.answered === false ? (
                        <>
                          {' '}
                          <Badge tone="warn">{t('transcript.unanswered')}</Badge>
                        </>
                      ) : null}
                      {m.partial ? (
                        <>
                          {' '}
                          <Badge tone="bad">{t('transcript.partial')}</Badge>
                        </>
                      ) : null}
                    </p>
                  ) : null}
                  {sources.length ? (
                    <div className="cited">
                      <p className="small">{t('transcript.sources')}</p>
                      <ol>
                        {sources.map((s, i) => (
                          <li key={i} className="small">
                            [{s.n ?? i + 1}] <SafeLink href={s.url}>{s.title || s.url}</SafeLink>
                            {s.page ? ` (${t('test.page', { n: s.page })})` : ''}
                          </li>
                        ))}
                      </ol>
                    </div>
                  ) : null}
                </li>
              );
            })}
          </ol>
        </>
      ) : null}
    </>
  );
}
