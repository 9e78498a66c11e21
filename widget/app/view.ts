// The chat panel's DOM: a labelled dialog with a header, the AI notice, the message log (a polite
// live region), starter questions and the question form. Model and visitor text enter only through
// text nodes and the Markdown renderer, which builds elements.
import type { CitedSource, WidgetConfig } from '../../contracts/widget.ts';
import { h, icon, icons, listen } from './dom.ts';
import { stringsFor, type Strings } from './i18n.ts';
import { linkTo, markdownView, renderMarkdown, safeUrl } from './markdown.ts';

/** What the view reports back to the controller. */
export interface ViewEvents {
  send(text: string): unknown;
  close(): void;
  restart(): void;
}

/** An answer being streamed into the log. */
export interface StreamingAnswer {
  update(text: string): void;
  /** Replaces the streamed bubble by the final answer (announced once), plus an error note if any. */
  finish(text: string, sources: CitedSource[], error: string): void;
}

/** The panel and the operations the controller needs. */
export type View = ReturnType<typeof createView>;

/** Builds the (hidden) panel into the shadow root. */
export function createView(root: ShadowRoot, language: string, on: ViewEvents) {
  let s: Strings = stringsFor(language);
  const title = h('h2', { class: 'title', id: 'cloop-title' }, s.title);
  const restart = h('button', { type: 'button', class: 'icon' }, icon(icons.restart));
  const close = h('button', { type: 'button', class: 'icon' }, icon(icons.close));
  const notice = h('p', { class: 'notice', id: 'cloop-notice' });
  const greeting = h('div', { class: 'msg bot', hidden: '' });
  const log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', tabindex: '0' }, greeting);
  const starters = h('div', { class: 'starters', role: 'group', hidden: '' });
  const label = h('label', { class: 'vh', for: 'cloop-input' });
  const input = h('textarea', { class: 'input', id: 'cloop-input', rows: '1', maxlength: '2000', autocomplete: 'off', enterkeyhint: 'send' });
  const send = h('button', { type: 'submit', class: 'icon send' }, icon(icons.send));
  const form = h('form', { class: 'ask' }, label, input, send);
  const brand = h('p', { class: 'brand', hidden: '' });
  const panel = h(
    'div',
    { class: 'panel', id: 'cloop-panel', role: 'dialog', 'aria-labelledby': 'cloop-title', 'aria-describedby': 'cloop-notice', hidden: '' },
    h('div', { class: 'head' }, title, restart, close),
    notice,
    log,
    starters,
    form,
    brand,
  );
  root.appendChild(panel);

  let busy = false;
  const nearEnd = () => log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  const toEnd = () => {
    log.scrollTop = log.scrollHeight;
  };
  /** Appends to the log, following the conversation unless the visitor scrolled up to read. */
  const append = (node: Node) => {
    const follow = nearEnd();
    log.appendChild(node);
    if (follow) toEnd();
  };

  function sourcesList(sources: readonly CitedSource[]): HTMLElement | null {
    const list = h('ul');
    for (const source of sources.slice(0, 20)) {
      if (!source || typeof source !== 'object') continue;
      const href = typeof source.url === 'string' ? safeUrl(source.url) : null;
      const name = String(source.title || source.url || '').slice(0, 300);
      const item = h('li', null, `[${Number(source.n) || list.childElementCount + 1}] `);
      if (href) {
        const a = linkTo(document, href);
        a.append(name || href);
        item.append(a);
      } else item.append(name);
      if (typeof source.page === 'number') item.append(` (${s.page} ${source.page})`);
      list.append(item);
    }
    return list.firstChild ? h('div', { class: 'src' }, h('p', null, s.sources), list) : null;
  }

  function botMessage(text: string, sources: readonly CitedSource[]): HTMLElement {
    const bubble = h('div', { class: 'bubble' });
    bubble.appendChild(renderMarkdown(document, text, sources));
    return h('div', { class: 'msg bot' }, h('span', { class: 'vh' }, `${s.assistant}: `), bubble, sourcesList(sources));
  }

  listen(form, 'submit', (event) => {
    event.preventDefault();
    if (!busy) on.send(input.value);
  });
  listen<KeyboardEvent>(input, 'keydown', (event) => {
    // Enter sends, Shift+Enter is a new line; not while an IME composes a word.
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (!busy) on.send(input.value);
    }
  });
  listen(close, 'click', () => on.close());
  listen(restart, 'click', () => on.restart());

  const view = {
    panel,
    input,
    log,

    /** Labels everything in a UI language. */
    setLanguage(lang: string) {
      s = stringsFor(lang);
      panel.setAttribute('lang', lang);
      if (!title.dataset.site) title.textContent = s.title;
      restart.setAttribute('aria-label', s.newChat);
      restart.setAttribute('title', s.newChat);
      close.setAttribute('aria-label', s.close);
      close.setAttribute('title', s.close);
      notice.textContent = s.aiNotice;
      log.setAttribute('aria-label', s.log);
      starters.setAttribute('aria-label', s.suggestions);
      label.textContent = s.inputLabel;
      input.setAttribute('placeholder', s.placeholder);
      send.setAttribute('aria-label', s.send);
      brand.textContent = s.poweredBy;
    },

    /** Shows the site's name, greeting, starter questions and branding. */
    setConfig(config: WidgetConfig, showStarters: boolean) {
      if (config.siteName) {
        title.textContent = String(config.siteName);
        title.dataset.site = '1';
      }
      greeting.replaceChildren();
      if (config.greeting) {
        const bubble = h('div', { class: 'bubble' });
        bubble.appendChild(renderMarkdown(document, String(config.greeting)));
        greeting.append(bubble);
      }
      greeting.hidden = !config.greeting;
      starters.replaceChildren();
      for (const question of (Array.isArray(config.starterQuestions) ? config.starterQuestions : []).slice(0, 6)) {
        const chip = h('button', { type: 'button', class: 'chip' }, String(question));
        listen(chip, 'click', () => !busy && on.send(String(question)));
        starters.append(chip);
      }
      starters.hidden = !showStarters || !starters.firstChild;
      brand.hidden = config.showBranding === false;
    },

    hideStarters() {
      starters.hidden = true;
    },

    setBusy(value: boolean) {
      busy = value;
      send.setAttribute('aria-disabled', String(value));
    },

    addUser(text: string) {
      append(h('div', { class: 'msg me' }, h('span', { class: 'vh' }, `${s.you}: `), text));
    },

    addBot(text: string, sources: readonly CitedSource[]) {
      append(botMessage(text, sources));
    },

    addError(message: string) {
      append(h('div', { class: 'msg err' }, message));
    },

    /** Appends any element (the email form) to the log. */
    addNode(node: HTMLElement) {
      append(node);
    },

    /** A new conversation: only the greeting stays. */
    clear() {
      while (log.lastChild && log.lastChild !== greeting) log.removeChild(log.lastChild);
      starters.hidden = !starters.firstChild;
    },

    scrollToEnd: toEnd,

    /**
     * Starts an answer. While it streams, its text is hidden from assistive technology (so a screen
     * reader is not handed every token); the finished answer replaces it and is announced once.
     */
    startAnswer(): StreamingAnswer {
      const bubble = h('div', { class: 'bubble', 'aria-hidden': 'true' }, h('span', { class: 'typing' }, h('i'), h('i'), h('i')));
      const message = h('div', { class: 'msg bot' }, h('span', { class: 'vh' }, s.thinking), bubble);
      append(message);
      const md = markdownView(bubble);
      let latest = '';
      let frame = 0;
      const render = () => {
        frame = 0;
        const follow = nearEnd();
        if (bubble.firstChild?.nodeName === 'SPAN') bubble.replaceChildren();
        md.update(latest);
        if (follow) toEnd();
      };
      return {
        update(text) {
          latest = text;
          // One render per frame however fast tokens arrive.
          if (!frame) frame = requestAnimationFrame(render);
        },
        finish(text, sources, error) {
          if (frame) cancelAnimationFrame(frame);
          const follow = nearEnd();
          if (text) message.replaceWith(botMessage(text, sources));
          else message.remove();
          if (error) log.appendChild(h('div', { class: 'msg err' }, error));
          if (follow) toEnd();
        },
      };
    },
  };
  view.setLanguage(language);
  return view;
}
