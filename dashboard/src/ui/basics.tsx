// Small building blocks every page uses. Everything that shows visitor or model text renders it as
// text (React escapes it); links are drawn only for http(s) addresses.
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { errorText, useI18n } from '../i18n/index.ts';
import type { ApiError } from '../lib/api.ts';
import { base, navigate } from '../lib/router.ts';

/** A page's title and one-line description. */
export function PageHeader({ title, intro, actions }: { title: string; intro?: ReactNode; actions?: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Cloop`;
  }, [title]);
  return (
    <div className="page-header">
      <div>
        <h1 ref={heading} tabIndex={-1}>
          {title}
        </h1>
        {intro ? <p className="muted">{intro}</p> : null}
      </div>
      {actions ? <div className="actions">{actions}</div> : null}
    </div>
  );
}

/** An API error in plain words (the API's own message), with the request id for support. */
export function ErrorNote({ error, children }: { error: ApiError | null | undefined; children?: ReactNode }) {
  const { t, lang } = useI18n();
  if (!error) return null;
  return (
    <div className="note error" role="alert">
      <p>{errorText(lang, error)}</p>
      {children}
      {error.requestId ? <p className="small muted">{t('error.reference', { id: error.requestId })}</p> : null}
    </div>
  );
}

/** A banner: information, success, warning. */
export function Banner({ kind = 'info', children }: { kind?: 'info' | 'success' | 'warning' | 'error'; children: ReactNode }) {
  return (
    <div className={`note ${kind}`} role={kind === 'error' || kind === 'warning' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

/** "Loading…", announced politely. */
export function Loading({ label }: { label?: string }) {
  const { t } = useI18n();
  return (
    <p className="loading" role="status">
      {label ?? t('common.loading')}
    </p>
  );
}

/** Previous / page n / Next. */
export function Pager(p: { pageNumber: number; pageCount?: number; hasPrev: boolean; hasNext: boolean; prev(): void; next(): void; label: string }) {
  const { t } = useI18n();
  if (!p.hasPrev && !p.hasNext) return null;
  return (
    <nav className="pager" aria-label={p.label}>
      <button type="button" onClick={p.prev} disabled={!p.hasPrev}>
        {t('common.previous')}
      </button>
      <span aria-live="polite">{p.pageCount ? t('common.pageOf', { n: p.pageNumber, of: p.pageCount }) : t('common.page', { n: p.pageNumber })}</span>
      <button type="button" onClick={p.next} disabled={!p.hasNext}>
        {t('common.next')}
      </button>
    </nav>
  );
}

/** A link inside the app (client-side navigation; modified clicks open a new tab as usual). */
export function Link({ to, children, className, current }: { to: string; children: ReactNode; className?: string; current?: boolean }) {
  return (
    <a
      href={base + to}
      className={className}
      aria-current={current ? 'page' : undefined}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}

/** An outside address: a link when it is http(s), else plain text. Never a `javascript:` link. */
export function SafeLink({ href, children }: { href: string | null | undefined; children?: ReactNode }) {
  if (!href) return children ? <span className="break">{children}</span> : <span className="muted">—</span>;
  let ok = false;
  try {
    ok = ['http:', 'https:'].includes(new URL(href).protocol);
  } catch {
    ok = false;
  }
  const label = children ?? href;
  return ok ? (
    <a href={href} target="_blank" rel="noopener noreferrer nofollow" className="break">
      {label}
    </a>
  ) : (
    <span className="break">{label}</span>
  );
}

/** A coloured status word. */
export function Badge({ tone = 'neutral', children }: { tone?: 'neutral' | 'good' | 'warn' | 'bad' | 'info'; children: ReactNode }) {
  return <span className={`badge ${tone}`}>{children}</span>;
}

/** A labelled progress bar (0…1; null = still counting). */
export function ProgressBar({ value, label }: { value: number | null; label: string }) {
  const pct = value === null ? null : Math.round(Math.max(0, Math.min(1, value)) * 100);
  return (
    <div className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} {...(pct === null ? {} : { 'aria-valuenow': pct })}>
      <div className={pct === null ? 'bar indeterminate' : 'bar'} style={pct === null ? undefined : { width: `${pct}%` }} />
    </div>
  );
}

/** Copies text to the clipboard and says so. */
export function CopyButton({ text, label, copiedLabel }: { text: string; label: string; copiedLabel?: string }) {
  const { t } = useI18n();
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), 2500);
    return () => clearTimeout(timer);
  }, [state]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      setState('failed');
    }
  };
  return (
    <span className="copy">
      <button type="button" onClick={copy}>
        {label}
      </button>
      <span role="status" className="small">
        {state === 'copied' ? (copiedLabel ?? t('common.copied')) : state === 'failed' ? t('common.copyFailed') : ''}
      </span>
    </span>
  );
}

/** A button that asks "Are you sure?" in place before doing something destructive. */
export function ConfirmButton(p: { label: string; question: string; confirmLabel: string; onConfirm(): void; busy?: boolean; danger?: boolean }) {
  const { t } = useI18n();
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <button type="button" className={p.danger ? 'danger' : undefined} onClick={() => setAsking(true)} disabled={p.busy}>
        {p.label}
      </button>
    );
  return (
    <span className="confirm" role="group" aria-label={p.question}>
      <span>{p.question}</span>
      <button
        type="button"
        className={p.danger ? 'danger' : 'primary'}
        disabled={p.busy}
        onClick={() => {
          setAsking(false);
          p.onConfirm();
        }}
      >
        {p.confirmLabel}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        {t('common.cancel')}
      </button>
    </span>
  );
}

/** A message for an empty list. */
export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}
