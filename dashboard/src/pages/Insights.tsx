// Insights: conversations and messages per day, the phase funnel, top questions and content gaps
// (questions answered with low confidence or not at all: the content to add).
import { useState } from 'react';
import { useI18n } from '../i18n/index.ts';
import { count, lastDays, percent, shortDay } from '../lib/format.ts';
import { useApi, useClientPages } from '../lib/hooks.ts';
import type { Insights as InsightsData, QuestionCount, SiteView } from '../lib/types.ts';
import { Empty, ErrorNote, Loading, PageHeader, Pager } from '../ui/basics.tsx';
import { ColumnChart, HBars } from '../ui/charts.tsx';

/** A choice of period, shared with Usage. */
export function DaysPicker({ days, onChange }: { days: number; onChange(d: number): void }) {
  const { t, plural } = useI18n();
  return (
    <div className="field inline">
      <label htmlFor="days">{t('common.period')}</label>
      <select id="days" value={days} onChange={(e) => onChange(Number(e.target.value))}>
        {[7, 30, 90].map((d) => (
          <option key={d} value={d}>
            {plural('common.lastDays', d)}
          </option>
        ))}
      </select>
    </div>
  );
}

function Questions({ id, title, rows, empty }: { id: string; title: string; rows: QuestionCount[]; empty: string }) {
  const { t, lang } = useI18n();
  const paged = useClientPages(rows, 10);
  return (
    <section className="card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {rows.length ? (
        <>
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">{t('insights.question')}</th>
                  <th scope="col">{t('insights.asked')}</th>
                  <th scope="col">{t('insights.avgConfidence')}</th>
                </tr>
              </thead>
              <tbody>
                {paged.items.map((q) => (
                  <tr key={q.question}>
                    <td className="break">
                      {q.question}
                      {q.variants.length ? <div className="muted small">{t('insights.alsoAsked', { variants: q.variants.join(' · ') })}</div> : null}
                    </td>
                    <td>{count(q.count, lang)}</td>
                    <td>{percent(q.confidence, lang)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager {...paged} label={title} />
        </>
      ) : (
        <Empty>{empty}</Empty>
      )}
    </section>
  );
}

/** The insights page of a site. */
export function Insights({ site }: { site: SiteView }) {
  const { t, lang, plural } = useI18n();
  const [days, setDays] = useState(30);
  const { data, error, loading } = useApi<InsightsData>(`/sites/${site.id}/insights?days=${days}`);
  const labels = lastDays(days);
  const byDay = new Map(data?.perDay.map((d) => [d.day, d]));
  const phases = ['exploring', 'learning', 'requesting_contact'] as const;
  const funnel = phases.map((p) => ({ phase: p, n: data?.funnel.find((f) => f.phase === p)?.count ?? 0 }));
  const total = funnel.reduce((a, f) => a + f.n, 0);
  return (
    <>
      <PageHeader title={t('insights.title')} intro={t('insights.intro', { site: site.name })} actions={<DaysPicker days={days} onChange={setDays} />} />
      <ErrorNote error={error} />
      {loading && !data ? <Loading /> : null}
      {data ? (
        <>
          <section className="card" aria-labelledby="activity-h">
            <h2 id="activity-h">{t('insights.activity')}</h2>
            <ColumnChart
              title={t('insights.perDay')}
              labels={labels.map((d) => shortDay(d, lang))}
              series={[
                { name: t('insights.conversations'), tone: 's1', values: labels.map((d) => byDay.get(d)?.conversations ?? 0) },
                { name: t('insights.messages'), tone: 's2', values: labels.map((d) => byDay.get(d)?.messages ?? 0) },
              ]}
              format={(v) => count(v, lang)}
              summary={plural('insights.perDaySummary', days, {
                conversations: plural('count.conversations', data.perDay.reduce((a, d) => a + d.conversations, 0)),
                messages: plural('count.messages', data.perDay.reduce((a, d) => a + d.messages, 0)),
              })}
            />
          </section>
          <section className="card" aria-labelledby="funnel-h">
            <h2 id="funnel-h">{t('insights.funnel')}</h2>
            <HBars
              title={plural('insights.funnelCaption', total)}
              rows={[
                ...funnel.map((f) => ({ label: t(`phase.${f.phase}`), value: f.n, text: count(f.n, lang) })),
                { label: t('insights.leads'), value: data.leads, text: count(data.leads, lang) },
              ]}
            />
          </section>
          <div className="grid two">
            <Questions id="top-h" title={t('insights.top')} rows={data.topQuestions} empty={t('insights.noQuestions')} />
            <Questions id="gaps-h" title={t('insights.gaps')} rows={data.contentGaps} empty={t('insights.noGaps')} />
          </div>
          <p className="small muted">{t('insights.gapsHelp')}</p>
        </>
      ) : null}
    </>
  );
}
