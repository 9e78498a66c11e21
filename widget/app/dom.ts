// Element construction for the UI. Attribute names are always literals in our code; values may be
// UI strings or site settings, set with setAttribute (never parsed as markup). Strings among the
// children become text nodes.

type Child = Node | string | null | undefined | false;

/** Creates an element with attributes and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Record<string, string> | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const name in attrs) el.setAttribute(name, attrs[name]!);
  for (const child of children) if (child) el.append(child);
  return el;
}

const svgNs = 'http://www.w3.org/2000/svg';

/** Icon paths (24×24, stroked). */
export const icons = {
  close: 'M6 6l12 12M18 6L6 18',
  send: 'M4 12l16-8-6 16-2.5-6.5L4 12z',
  restart: 'M4 12a8 8 0 1 0 2.3-5.7M4 4v4h4',
};

/** A decorative icon (hidden from assistive technology; its button carries the label). */
export function icon(d: string): SVGSVGElement {
  const svg = document.createElementNS(svgNs, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS(svgNs, 'path');
  path.setAttribute('d', d);
  svg.appendChild(path);
  return svg;
}

/** Adds an event listener whose errors stay inside the widget (never reported as the host page's errors). */
export function listen<E extends Event = Event>(target: EventTarget, type: string, fn: (event: E) => unknown): void {
  target.addEventListener(type, (event) => {
    try {
      const result = fn(event as E);
      if (result instanceof Promise) result.catch(() => undefined);
    } catch {
      // Swallowed on purpose.
    }
  });
}
