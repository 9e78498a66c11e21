// Usage and budget: AI cost per day against the daily cap, tokens by purpose and per site, and a
// banner when today's cap was reached. Owners change the cap here.
import { useState, type FormEvent } from 'react';
import { useSignedIn } from '../app/auth.tsx';
import { useI18n } from '../i18n/index.ts';
import { api, ApiError } from '../lib/api.ts';
import { count, lastDays, shortDay, usd } from '../lib/format.ts';
import { useApi } from '../lib/hooks.ts';
import { can } from '../lib/permissions.ts';
import type { Usage as UsageData } from '../lib/types.ts';
import { Banner, Empty, ErrorNote, Loading, PageHeader } from '../ui/basics.tsx';
import { ColumnChart } from '../ui/charts.tsx';
import { DaysPicker } from './Insights.tsx';

/** The usage page (workspace-wide). */
export function Usage() {
  const { t, lang, plural } = useI18n();
  const { me } = useSignedIn();
  const [days, setDays] = useState(30);
  const { data, error, loading, reload } = useApi<UsageData>(`/usage?days=${days}`);
  const labels = lastDays(days);
  const byDay = new Map(data?.perDay.map((d) => [d.day, d]));
  return (
    <>
      <PageHeader title={t('usage.title')} intro={t('usage.intro')} actions={<DaysPicker days={days} onChange={setDays} />} />
      <ErrorNote error={error} />
      {loading && !data ? <Loading /> : null}
      {data ? (
        <>
          {data.capHitToday ? (
            <Banner kind="warning">
              <p>{t('usage.capHit', { cap: usd(data.capUsd, lang) })}</p>
            </Banner>
          ) : null}
          <section className="card" aria-labelledby="cost-h">
            <h2 id="cost-h">{t('usage.cost')}</h2>
            <p>{t('usage.today', { cost: usd(data.todayCostUsd, lang), cap: usd(data.capUsd, lang) })}</p>
            <ColumnChart
              title={t('usage.costPerDay')}
              labels={labels.map((d) => shortDay(d, lang))}
              series={[{ name: t('usage.costSeries'), tone: 's1', values: labels.map((d) => byDay.get(d)?.costUsd ?? 0) }]}
              limit={{ value: data.capUsd, label: t('usage.capSeries', { cap: usd(data.capUsd, lang) }) }}
              format={(v) => usd(v, lang)}
              summary={plural('usage.costSummary', days, { total: usd(data.perDay.reduce((a, d) => a + d.costUsd, 0), lang), cap: usd(data.capUsd, lang) })}
            />
            {can(me.role, 'changeBudget') ? <BudgetForm cap={data.capUsd} onSaved={reload} /> : null}
          </section>
          <div className="grid two">
            <section className="card" aria-labelledby="purpose-h">
              <h2 id="purpose-h">{t('usage.byPurpose')}</h2>
              {data.byPurpose.length ? (
                <div className="table-wrap">
                  <table className="table">
                    <thead>
                      <tr>
                        <th scope="col">{t('usage.purpose')}</th>
                        <th scope="col">{t('usage.input')}</th>
                        <th scope="col">{t('usage.output')}</th>
                        <th scope="col">{t('usage.costCol')}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {data.byPurpose.map((p) => (
                        <tr key={p.purpose}>
                          <th scope="row">{p.purpose === 'chat' ? t('usage.chat') : p.purpose === 'embedding' ? t('usage.embedding') : p.purpose}</th>
                          <td>{count(p.inputTokens, lang)}</td>
                          <td>{count(p.outputTokens, lang)}</td>
                          <td>{usd(p.costUsd, lang)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              ) : (
                <Empty>{t('usage.none')}</Empty>
              )}
            </section>
            <section className="card" aria-labelledby="site-h">
              <h2 id="site-h">{t('usage.bySite')}</h2>
              {data.bySite.length ? (
                <div className="table-wrap">
                  <table className="table">
                    <thead>
                      <tr>
                        <th scope="col">{t('usage.site')}</th>
                        <th scope="col">{t('usage.tokens')}</th>
                        <th scope="col">{t('usage.costCol')}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {data.bySite.map((s) => (
                        <tr key={s.siteId ?? 'none'}>
                          <th scope="row">{s.name ?? t('usage.noSite')}</th>
                          <td>{count(s.tokens, lang)}</td>
                          <td>{usd(s.costUsd, lang)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              ) : (
                <Empty>{t('usage.none')}</Empty>
              )}
            </section>
          </div>
        </>
      ) : null}
    </>
  );
}

function BudgetForm({ cap, onSaved }: { cap: number; onSaved(): void }) {
  const { t } = useI18n();
  const { refresh } = useSignedIn();
  const [value, setValue] = useState(String(cap));
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setSaved(false);
    try {
      await api('/tenant', { method: 'PATCH', body: { dailyBudgetUsd: Number(value) } });
      setSaved(true);
      onSaved();
      void refresh();
    } catch (err) {
      setError(err as ApiError);
    }
  };
  return (
    <form className="row-form" onSubmit={submit}>
      <div className="field">
        <label htmlFor="cap">{t('usage.capLabel')}</label>
        <input id="cap" type="number" min={0} max={100000} step="0.01" required value={value} onChange={(e) => setValue(e.target.value)} />
      </div>
      <button type="submit">{t('common.save')}</button>
      <span role="status" className="small">
        {saved ? t('common.saved') : ''}
      </span>
      <ErrorNote error={error} />
    </form>
  );
}
