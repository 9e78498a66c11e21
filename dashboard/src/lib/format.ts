// Numbers, dates, money and sizes in the interface language.

/** A date and time, e.g. "3 Mar 2026, 14:05". */
export function dateTime(iso: string | null | undefined, lang: string): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : d.toLocaleString(lang, { dateStyle: 'medium', timeStyle: 'short' });
}

/** A day, e.g. "3 Mar". */
export function shortDay(day: string, lang: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? day : d.toLocaleDateString(lang, { day: 'numeric', month: 'short', timeZone: 'UTC' });
}

/** A whole number with grouping. */
export function count(n: number | null | undefined, lang: string): string {
  return new Intl.NumberFormat(lang).format(n ?? 0);
}

/** US dollars; small amounts keep four decimals (AI costs are fractions of a cent). */
export function usd(n: number | null | undefined, lang: string): string {
  const v = n ?? 0;
  return new Intl.NumberFormat(lang, { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: v !== 0 && Math.abs(v) < 1 ? 4 : 2 }).format(v);
}

/** A 0…1 value as a percentage. */
export function percent(v: number | null | undefined, lang: string): string {
  return v === null || v === undefined ? '—' : new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 0 }).format(v);
}

/** Bytes in the interface language's units and digits, e.g. "5.0 MB", "5,0 Mt" (fi), "5,0 Mo" (fr). */
export function bytes(n: number | null | undefined, lang: string): string {
  const v = n ?? 0;
  const [unit, value, digits] = v < 1024 ? ['byte', v, 0] : v < 1024 * 1024 ? ['kilobyte', v / 1024, 1] : ['megabyte', v / 1024 / 1024, v < 10 * 1024 * 1024 ? 1 : 0];
  return new Intl.NumberFormat(lang, { style: 'unit', unit, unitDisplay: 'short', minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
}

/** The last `days` calendar days (UTC) as `YYYY-MM-DD`, oldest first. */
export function lastDays(days: number, now = new Date()): string[] {
  const out: string[] = [];
  for (let i = days - 1; i >= 0; i--) out.push(new Date(now.getTime() - i * 86_400_000).toISOString().slice(0, 10));
  return out;
}

/** A `<input type="date">` value as the start of that day in the browser's time zone (ISO). */
export function dayStart(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(`${value}T00:00:00`);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** A `<input type="date">` value as the start of the next day (an exclusive upper bound). */
export function dayEnd(value: string): string | undefined {
  const start = dayStart(value);
  return start ? new Date(new Date(start).getTime() + 86_400_000).toISOString() : undefined;
}
