// Charts as plain SVG elements (no library): a day-by-day column chart and horizontal bars. Each has
// a text summary for screen readers and its numbers in a table behind "Show the numbers".
import type { ReactNode } from 'react';
import { useI18n } from '../i18n/index.ts';

/** One series of a column chart. */
export interface Series {
  name: string;
  /** CSS class that colours it (`s1`, `s2`). */
  tone: 's1' | 's2';
  values: number[];
}

/** Columns per day, one or two series side by side, an optional horizontal limit line. */
export function ColumnChart(p: { title: string; labels: string[]; series: Series[]; limit?: { value: number; label: string }; format?: (v: number) => string; summary: string }) {
  const { t } = useI18n();
  const fmt = p.format ?? ((v: number) => String(v));
  const width = 640;
  const height = 200;
  const padLeft = 48;
  const padBottom = 24;
  const top = 10;
  const max = Math.max(1e-9, p.limit?.value ?? 0, ...p.series.flatMap((s) => s.values));
  const plotW = width - padLeft - 8;
  const plotH = height - padBottom - top;
  const slot = plotW / Math.max(1, p.labels.length);
  const barW = Math.max(1, (slot * 0.8) / p.series.length);
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const every = Math.ceil(p.labels.length / 8);
  return (
    <figure className="chart">
      <figcaption>{p.title}</figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`${p.title}. ${p.summary}`}>
        <line className="axis" x1={padLeft} x2={width - 8} y1={top + plotH} y2={top + plotH} />
        <text className="tick" x={padLeft - 6} y={top + 8} textAnchor="end">
          {fmt(max)}
        </text>
        <text className="tick" x={padLeft - 6} y={top + plotH} textAnchor="end">
          {fmt(0)}
        </text>
        {p.series.map((s, si) =>
          s.values.map((v, i) => (
            <rect key={`${si}-${i}`} className={`bar ${s.tone}`} x={padLeft + i * slot + slot * 0.1 + si * barW} y={y(v)} width={barW} height={Math.max(0, top + plotH - y(v))}>
              <title>{`${p.labels[i]}: ${s.name} ${fmt(v)}`}</title>
            </rect>
          )),
        )}
        {p.limit ? <line className="limit" x1={padLeft} x2={width - 8} y1={y(p.limit.value)} y2={y(p.limit.value)} /> : null}
        {p.labels.map((l, i) =>
          i % every === 0 ? (
            <text key={l} className="tick" x={padLeft + i * slot + slot / 2} y={height - 6} textAnchor="middle">
              {l}
            </text>
          ) : null,
        )}
      </svg>
      <Legend items={[...p.series.map((s) => ({ tone: s.tone, name: s.name })), ...(p.limit ? [{ tone: 'limit', name: p.limit.label }] : [])]} />
      <details>
        <summary>{t('chart.showNumbers')}</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('chart.day')}</th>
              {p.series.map((s) => (
                <th scope="col" key={s.name}>
                  {s.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {p.labels.map((l, i) => (
              <tr key={l}>
                <th scope="row">{l}</th>
                {p.series.map((s) => (
                  <td key={s.name}>{fmt(s.values[i] ?? 0)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

function Legend({ items }: { items: { tone: string; name: string }[] }) {
  return (
    <ul className="legend">
      {items.map((i) => (
        <li key={i.name}>
          <span className={`swatch ${i.tone}`} aria-hidden="true" />
          {i.name}
        </li>
      ))}
    </ul>
  );
}

/** Horizontal bars with their values written out (a funnel, a ranking). */
export function HBars({ title, rows }: { title: string; rows: { label: ReactNode; value: number; text: string }[] }) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <ul className="hbars">
        {rows.map((r, i) => (
          <li key={i}>
            <span className="hlabel">{r.label}</span>
            <svg viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
              <rect className="bar s1" x="0" y="0" height="10" width={(r.value / max) * 100} />
            </svg>
            <span className="hvalue">{r.text}</span>
          </li>
        ))}
      </ul>
    </figure>
  );
}
