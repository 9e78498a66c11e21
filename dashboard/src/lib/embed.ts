// The embed snippet and the widget preview's address.
import type { SiteView, WidgetConfig } from './types.ts';

/** The `<script>` tag a business pastes into its pages. */
export function snippet(embedKey: string, origin = location.origin): string {
  return `<script src="${origin}/widget.js" data-site="${embedKey}" async></script>`;
}

/** The dashboard's own host, which a site must allow for the preview here to work. */
export function dashboardHost(): string {
  return location.host.toLowerCase();
}

/** Whether the site's domains let the widget run on the dashboard's host. */
export function previewAllowed(site: Pick<SiteView, 'domains'>): boolean {
  const host = dashboardHost();
  const bare = location.hostname.toLowerCase();
  return site.domains.some((d) => d === host || d === bare || (d.startsWith('*.') && bare.endsWith(d.slice(1))));
}

/** A host typed as `https://www.example.com/page` or `www.example.com`, reduced to `www.example.com`. */
export function hostOf(input: string): string {
  const text = input.trim();
  if (!text) return '';
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`).host.toLowerCase();
  } catch {
    return text.toLowerCase();
  }
}

/** What the preview frame needs: the key, and the widget configuration to show (saved or a draft). */
export interface PreviewSpec {
  key: string;
  config: WidgetConfig;
  site: string;
}

export { widgetConfig } from '../../../contracts/widget-config.ts';

/** The preview frame's address: the spec rides in the fragment (never sent to the server). */
export function previewUrl(spec: PreviewSpec): string {
  return `/app/preview.html#${encodeURIComponent(JSON.stringify(spec))}`;
}
