// `/widget.js`: the only script a site embeds. It stays tiny: it draws the launcher when the page is
// idle and fetches the chat UI (`/widget/v1/app.js`) when the visitor opens the chat. It must never
// throw into the host page and defines one global, `window.CloopWidget`.
import { addStyles, applyLook, pickLanguage, readStored, storageKey, type CachedLook, type CloopGlobal, type WidgetContext } from './shared.ts';

/** The content hash of the app bundle this loader was built with (scripts/build-widget.mjs). */
declare const __CLOOP_APP_VERSION__: string;

const openLabel: Record<string, string> = {
  en: 'Open chat',
  fi: 'Avaa chat',
  sv: 'Öppna chatten',
  de: 'Chat öffnen',
  fr: 'Ouvrir le chat',
  es: 'Abrir el chat',
};

// Host-page CSS cannot reach into the shadow root, and an inner-context `!important` beats the page's
// `!important`: the host box is reset and pinned here, not with an inline style.
const css =
  ':host{all:initial!important;position:fixed!important;z-index:2147483647!important;bottom:0!important;right:0!important;width:0!important;height:0!important;display:block!important;visibility:visible!important}' +
  '@media print{:host{display:none!important}}' +
  '.l{position:fixed;bottom:calc(20px + env(safe-area-inset-bottom,0px));right:20px;width:56px;height:56px;margin:0;padding:0;border:0;border-radius:50%;' +
  'background:var(--cloop-primary,#2563eb);color:var(--cloop-on-primary,#fff);box-shadow:0 4px 16px rgba(0,0,0,.25);cursor:pointer;display:flex;align-items:center;justify-content:center}' +
  ':host([data-position=left]) .l{right:auto;left:20px}' +
  '.l:focus-visible{outline:3px solid var(--cloop-primary,#2563eb);outline-offset:3px}' +
  '.l[aria-busy=true]{cursor:progress;opacity:.8}' +
  '.l svg{width:28px;height:28px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round}' +
  '@media (prefers-reduced-motion:no-preference){.l{transition:transform .15s}.l:hover{transform:scale(1.06)}}';

const svgNs = 'http://www.w3.org/2000/svg';

interface TrustedTypes {
  createPolicy(name: string, rules: { createScriptURL(url: string): string }): { createScriptURL(url: string): unknown };
}
let policy: ReturnType<TrustedTypes['createPolicy']> | undefined;

/** Runs `fn` once the document has a body and the main thread is idle (or after 2 s at most). */
function whenIdle(fn: () => void): void {
  const idle = () => ('requestIdleCallback' in window ? requestIdleCallback(fn, { timeout: 2000 }) : setTimeout(fn, 200));
  if (document.body) idle();
  else document.addEventListener('DOMContentLoaded', idle, { once: true });
}

/** Guards every callback: an error in the widget is never the host page's error. */
function safe<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  return (...args) => {
    try {
      fn(...args);
    } catch {
      // Swallowed on purpose (see above).
    }
  };
}

function chatIcon(): SVGSVGElement {
  const svg = document.createElementNS(svgNs, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(svgNs, 'path');
  path.setAttribute('d', 'M21 12a8 8 0 0 1-11.6 7.1L4 20.5l1.4-4.9A8 8 0 1 1 21 12z');
  svg.appendChild(path);
  return svg;
}

/** Draws the launcher in its own shadow root and wires the lazy load of the chat UI. */
function draw(ns: CloopGlobal, key: string, origin: string, nonce: string): void {
  const look = readStored<CachedLook>('localStorage', storageKey(key, 'look')) || {};
  const host = document.createElement('cloop-widget');
  const root = host.attachShadow({ mode: 'open' });
  addStyles(root, css);
  applyLook(host, look);
  const launcher = document.createElement('button');
  launcher.type = 'button';
  launcher.className = 'l';
  launcher.setAttribute('aria-label', openLabel[pickLanguage(look.languages)] || openLabel.en!);
  launcher.setAttribute('aria-haspopup', 'dialog');
  launcher.setAttribute('aria-expanded', 'false');
  launcher.appendChild(chatIcon());
  root.appendChild(launcher);

  const ctx: WidgetContext = { key, origin, host, root, launcher, openOnStart: '' };
  let loading = false;
  const load = () => {
    if (loading || ctx.toggle) return;
    loading = true;
    launcher.setAttribute('aria-busy', 'true');
    const script = document.createElement('script');
    script.async = true;
    if (nonce) script.nonce = nonce;
    script.onload = script.onerror = safe(() => {
      script.remove();
      launcher.removeAttribute('aria-busy');
      loading = false; // on failure the next click tries again
    });
    const url = `${origin}/widget/v1/app.js?v=${__CLOOP_APP_VERSION__}`;
    let src: unknown = url;
    try {
      // Pages that enforce Trusted Types accept the URL through a policy (if they allow `cloop-widget`).
      policy ||= (window as unknown as { trustedTypes: TrustedTypes }).trustedTypes.createPolicy('cloop-widget', { createScriptURL: (u: string) => (u === url ? u : '') });
      src = policy.createScriptURL(url);
    } catch {
      // No Trusted Types (or our policy name is not allowed): a plain string.
    }
    script.src = src as string;
    document.head.appendChild(script);
  };
  const open = safe(() => {
    if (ctx.toggle) return ctx.toggle(true);
    ctx.openOnStart = 'user';
    load();
  });
  launcher.addEventListener('click', safe(() => (ctx.toggle ? ctx.toggle() : open())));
  // Start fetching on press: the click follows ~100 ms later.
  launcher.addEventListener('pointerdown', safe(load), { passive: true });
  ns.ctx = ctx;
  ns.open = open;
  document.body.appendChild(host);
  if (readStored('sessionStorage', storageKey(key, 'open'))) {
    ctx.openOnStart = 'restore'; // it was open on the previous page
    load();
  }
}

safe(function boot() {
  const w = window as Window & { CloopWidget?: CloopGlobal };
  const script = (document.currentScript || document.querySelector('script[data-site][src*="/widget.js"]')) as HTMLScriptElement | null;
  const key = script?.getAttribute('data-site');
  if (w.CloopWidget || !script || !key || !/^[\w-]{8,128}$/.test(key) || !document.head.attachShadow) return;
  const ns: CloopGlobal = (w.CloopWidget = {});
  const origin = new URL(script.src).origin;
  const nonce = script.nonce || '';
  whenIdle(safe(() => draw(ns, key, origin, nonce)));
})();
