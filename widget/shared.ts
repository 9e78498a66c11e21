// Shared by the loader (`/widget.js`) and the chat UI bundle (`/widget/v1/app.js`). esbuild inlines
// it into both, so keep it to types and a few constants.

/** What the loader hands the chat UI: the one shadow root, the launcher, the site and the Cloop origin. */
export interface WidgetContext {
  /** The site's embed key (`data-site`). */
  key: string;
  /** The Cloop server's origin: the origin of the loader script's `src`. */
  origin: string;
  host: HTMLElement;
  root: ShadowRoot;
  launcher: HTMLButtonElement;
  /** Open the panel as soon as the UI starts: the visitor asked for it, or it was open on the previous page (then focus stays where it is). */
  openOnStart: '' | 'user' | 'restore';
  /** Set by the chat UI once it runs: opens or closes the panel. */
  toggle?: (open?: boolean) => void;
}

/** `window.CloopWidget`, the only global the widget defines. */
export interface CloopGlobal {
  /** The loader's context, read once by the chat UI bundle. */
  ctx?: WidgetContext;
  /** Opens the chat (for a host page's own "chat with us" links). */
  open?: () => void;
}

/** The launcher settings the chat UI caches in localStorage for the loader's next page view. */
export interface CachedLook {
  primary?: string;
  text?: string;
  position?: string;
  languages?: string[];
}

/** Storage key of one value of one site (localStorage and sessionStorage are shared with the host page). */
export const storageKey = (site: string, name: string): string => `cloop:${site}:${name}`;

/** Site colours come from the site's settings; anything not a plain hex colour is ignored. */
export const isHexColor = (v: unknown): v is string => typeof v === 'string' && /^#[0-9a-f]{6}$/i.test(v);

/** Sets the colour custom properties on the host element (through CSSOM: allowed under a strict CSP). */
export function applyLook(host: HTMLElement, look: CachedLook): void {
  if (isHexColor(look.primary)) host.style.setProperty('--cloop-primary', look.primary, 'important');
  if (isHexColor(look.text)) host.style.setProperty('--cloop-on-primary', look.text, 'important');
  host.setAttribute('data-position', look.position === 'bottom-left' ? 'left' : 'right');
}

/** Adds a static stylesheet to a shadow root: constructable (not subject to a host's `style-src`), else a `<style>`. */
export function addStyles(root: ShadowRoot, css: string): void {
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  } catch {
    const style = document.createElement('style');
    style.textContent = css;
    root.appendChild(style);
  }
}

/** The UI languages the widget speaks (contracts/sites.ts `languages`). */
export const uiLanguages = ['en', 'fi', 'sv', 'de', 'fr', 'es'];

/**
 * The UI language: among the site's languages (all, before the config is known), the first that the
 * page's `<html lang>` or the browser asks for; else the site's first language; else English.
 */
export function pickLanguage(siteLanguages: readonly string[] | undefined): string {
  const allowed = (siteLanguages?.length ? siteLanguages : uiLanguages).filter((l) => uiLanguages.includes(l));
  const wanted = [document.documentElement.lang, ...(navigator.languages || [navigator.language])];
  for (const w of wanted) {
    const base = String(w || '').toLowerCase().split('-')[0]!;
    if (allowed.includes(base)) return base;
  }
  return allowed[0] || 'en';
}

/** Reads a JSON value from web storage; storage may be missing or throw (privacy modes, sandboxes). */
export function readStored<T>(storage: 'localStorage' | 'sessionStorage', key: string): T | null {
  try {
    return JSON.parse(window[storage].getItem(key) || 'null') as T | null;
  } catch {
    return null;
  }
}

/** Writes (or, with `null`, removes) a JSON value in web storage; failures are ignored. */
export function writeStored(storage: 'localStorage' | 'sessionStorage', key: string, value: unknown): void {
  try {
    if (value === null) window[storage].removeItem(key);
    else window[storage].setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or disabled: the widget still works for this page view.
  }
}
