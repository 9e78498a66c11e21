// The site settings → public widget configuration mapping, shared by `GET /widget/v1/config` and the
// dashboard's live preview. Types only from the other contracts: the dashboard imports this at run
// time and must not pull zod in (zod's JIT probe is an eval, which the dashboard's CSP refuses).
import type { SiteSettings } from './sites.ts';
import type { WidgetConfig } from './widget.ts';

/** The public widget configuration of a site: an explicit allow-list of fields (nothing else of a site ever reaches a visitor). */
export function widgetConfig(siteName: string, s: SiteSettings, showBranding: boolean): WidgetConfig {
  return {
    siteName,
    greeting: s.greeting,
    starterQuestions: s.starterQuestions,
    languages: s.languages,
    colors: s.colors,
    position: s.position,
    emailCapture: s.emailCapture,
    showBranding,
  };
}
