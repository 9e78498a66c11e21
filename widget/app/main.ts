// `/widget/v1/app.js`: the chat UI. The loader fetched it because the visitor opened the chat (or the
// chat was open on the previous page); it takes over the loader's shadow root and launcher.
import type { CitedSource, WidgetConfig } from '../../contracts/widget.ts';
import { addStyles, applyLook, pickLanguage, readStored, storageKey, writeStored, type CachedLook, type CloopGlobal, type WidgetContext } from '../shared.ts';
import { ApiError, createClient } from './api.ts';
import { errorMessage, stringsFor } from './i18n.ts';
import { leadForm, type LeadResult } from './lead.ts';
import { listen } from './dom.ts';
import { css } from './styles.ts';
import { createView } from './view.ts';

const mobile = '(max-width: 639.98px)';
const focusable = 'button:not([hidden]),textarea,input,a[href],[tabindex="0"]';

/** The page the visitor is on, without its fragment (the contract accepts http(s) URLs up to 2048 characters). */
function pageUrl(): { pageUrl?: string } {
  const url = location.href.split('#')[0]!;
  return /^https?:/.test(url) && url.length <= 2048 ? { pageUrl: url } : {};
}

/** Starts the chat UI in the loader's shadow root. */
function start(ctx: WidgetContext): void {
  const { key, root, host, launcher } = ctx;
  const lookKey = storageKey(key, 'look');
  const conversationKey = storageKey(key, 'conversation');
  const openKey = storageKey(key, 'open');
  const client = createClient(ctx.origin, key);

  let lang = pickLanguage(readStored<CachedLook>('localStorage', lookKey)?.languages);
  let config: WidgetConfig | null = null;
  const stored = readStored<unknown>('localStorage', conversationKey);
  let conversationId = typeof stored === 'string' && /^[\w-]{1,100}$/.test(stored) ? stored : null;
  let messageCount = 0;
  let hasEmail = false;
  let leadOpen = false;
  let busy = false;
  let loaded = false;
  let isOpen = false;

  addStyles(root, css);
  const view = createView(root, lang, { send: (text) => send(text).catch(() => setBusy(false)), close: () => toggle(false), restart });
  launcher.setAttribute('aria-controls', 'cloop-panel');

  const remember = (id: unknown) => {
    if (typeof id !== 'string' || !/^[\w-]{1,100}$/.test(id)) return;
    conversationId = id;
    writeStored('localStorage', conversationKey, id);
  };
  const setBusy = (value: boolean) => {
    busy = value;
    view.setBusy(value);
  };
  const labelLauncher = () => launcher.setAttribute('aria-label', stringsFor(lang)[isOpen ? 'close' : 'open']);

  // The input above the on-screen keyboard: size the full-screen panel to the visual viewport.
  const viewport = window.visualViewport;
  const fit = () => {
    if (!viewport) return;
    view.panel.style.setProperty('--vv-height', `${viewport.height}px`);
    view.panel.style.setProperty('--vv-top', `${viewport.offsetTop}px`);
  };

  function toggle(open = !isOpen, byVisitor = true): void {
    if (open === isOpen) {
      if (open && byVisitor) view.input.focus();
      return;
    }
    isOpen = open;
    view.panel.hidden = !open;
    launcher.setAttribute('aria-expanded', String(open));
    labelLauncher();
    writeStored('sessionStorage', openKey, open ? 1 : null);
    if (open) {
      fit();
      viewport?.addEventListener('resize', fit);
      viewport?.addEventListener('scroll', fit);
      view.scrollToEnd();
      if (byVisitor) view.input.focus();
      if (!loaded) load().catch(() => setBusy(false));
    } else {
      viewport?.removeEventListener('resize', fit);
      viewport?.removeEventListener('scroll', fit);
      launcher.focus();
    }
  }

  function applyConfig(next: WidgetConfig): void {
    config = next;
    const look: CachedLook = { primary: next.colors?.primary, text: next.colors?.text, position: next.position, languages: next.languages };
    writeStored('localStorage', lookKey, look); // the loader draws the launcher from it on the next page
    applyLook(host, look);
    const nextLang = pickLanguage(next.languages);
    if (nextLang !== lang) {
      lang = nextLang;
      view.setLanguage(lang);
      labelLauncher();
    }
    view.setConfig(next, messageCount === 0);
  }

  /** First open: the site's settings and, when a conversation is stored, its messages so far. */
  async function load(): Promise<void> {
    loaded = true;
    setBusy(true);
    const [cfg, history] = await Promise.allSettled([client.config(), conversationId ? client.history(conversationId) : Promise.resolve(null)]);
    if (cfg.status === 'fulfilled') applyConfig(cfg.value);
    // A refused origin looks like a network failure to a script (no CORS headers): "unavailable" either way.
    else view.addError(errorMessage(stringsFor(lang), cfg.reason instanceof ApiError && cfg.reason.code !== 'network' ? cfg.reason.code : 'service_unavailable'));
    if (history.status === 'fulfilled' && history.value) {
      hasEmail = history.value.hasEmail === true;
      for (const m of Array.isArray(history.value.messages) ? history.value.messages : []) {
        if (m.role === 'user') view.addUser(String(m.text));
        else view.addBot(String(m.text), Array.isArray(m.sources) ? m.sources : []);
        messageCount++;
      }
      if (messageCount) view.hideStarters();
    } else if (history.status === 'fulfilled' && conversationId) {
      forgetConversation(); // gone on the server (or not this visitor's): start afresh
    }
    view.scrollToEnd();
    setBusy(false);
  }

  function forgetConversation(): void {
    conversationId = null;
    writeStored('localStorage', conversationKey, null);
  }

  function askEmail(): void {
    if (leadOpen || hasEmail || !conversationId || config?.emailCapture === 'off') return;
    leadOpen = true;
    const s = stringsFor(lang);
    const submit = async (email: string): Promise<LeadResult> => {
      try {
        await client.lead(conversationId!, email);
        hasEmail = true;
        return 'ok';
      } catch (err) {
        return err instanceof ApiError && err.code === 'validation_failed' ? 'invalid' : 'error';
      }
    };
    view.addNode(
      leadForm(s, submit, () => {
        leadOpen = false;
        view.input.focus();
      }),
    );
  }

  async function send(raw: string): Promise<void> {
    const message = raw.trim().slice(0, 2000);
    if (!message || busy) return;
    const s = stringsFor(lang);
    setBusy(true);
    view.hideStarters();
    view.addUser(message);
    view.input.value = '';
    messageCount++;
    const answer = view.startAnswer();
    let text = '';
    let sources: CitedSource[] = [];
    let wantsEmail = false;
    let error = '';
    for (let attempt = 0; attempt < 2; attempt++) {
      let ended = false;
      error = '';
      try {
        await client.chat({ message, ...(conversationId ? { conversationId } : {}), ...pageUrl(), language: lang }, (event) => {
          if (event.type === 'phase') {
            remember(event.conversationId);
            wantsEmail ||= event.askEmail === true;
          } else if (event.type === 'token' && typeof event.text === 'string') {
            text += event.text;
            answer.update(text);
          } else if (event.type === 'sources' && Array.isArray(event.sources)) {
            sources = event.sources;
          } else if (event.type === 'done') {
            ended = true;
            remember(event.conversationId);
            wantsEmail ||= event.answered === false;
          } else if (event.type === 'error') {
            ended = true;
            error = errorMessage(s, String(event.code));
          }
        });
        if (!ended) error = s.errorNetwork; // the stream stopped without `done`
      } catch (err) {
        const code = err instanceof ApiError ? err.code : 'network';
        // A stored conversation the server no longer has: once more, as a new conversation.
        if (code === 'conversation_not_found' && conversationId && attempt === 0) {
          forgetConversation();
          continue;
        }
        error = errorMessage(s, code);
      }
      break;
    }
    answer.finish(text, sources, error);
    messageCount++;
    setBusy(false);
    if (!error && wantsEmail) askEmail();
  }

  function restart(): void {
    if (busy) return;
    forgetConversation();
    messageCount = 0;
    hasEmail = false;
    leadOpen = false;
    view.clear();
    view.input.focus();
  }

  listen<KeyboardEvent>(root, 'keydown', (e) => {
    if (e.key === 'Escape' && isOpen) {
      e.preventDefault();
      toggle(false);
    } else if (e.key === 'Tab' && isOpen && matchMedia(mobile).matches) {
      // Full screen on a phone: Tab cycles inside the panel, as nothing else is visible.
      const items = [...view.panel.querySelectorAll<HTMLElement>(focusable)].filter((el) => el.offsetParent !== null);
      const first = items[0];
      const last = items[items.length - 1];
      if (e.shiftKey && root.activeElement === first) {
        e.preventDefault();
        last?.focus();
      } else if (!e.shiftKey && root.activeElement === last) {
        e.preventDefault();
        first?.focus();
      }
    }
  });
  // Keys typed in the widget are not the page's keyboard shortcuts (events leave the shadow root
  // retargeted to the host, so a page's "ignore keys typed in inputs" check cannot see our input).
  for (const type of ['keydown', 'keyup', 'keypress']) listen(host, type, (event) => event.stopPropagation());

  ctx.toggle = (open) => {
    try {
      toggle(open);
    } catch {
      // never the host page's error
    }
  };
  if (ctx.openOnStart) toggle(true, ctx.openOnStart === 'user');
}

try {
  const ctx = (window as Window & { CloopWidget?: CloopGlobal }).CloopWidget?.ctx;
  if (ctx && !ctx.toggle) start(ctx);
} catch {
  // Never an error in the host page.
}
