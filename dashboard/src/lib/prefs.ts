// Interface preferences kept in localStorage: colour theme and language.

/** `system` follows the operating system. */
export type Theme = 'system' | 'light' | 'dark';

const themeKey = 'cloop.theme';
const langKey = 'cloop.lang';

/** The stored theme. */
export function loadTheme(): Theme {
  const v = localStorage.getItem(themeKey);
  return v === 'light' || v === 'dark' ? v : 'system';
}

/** Stores and applies a theme (`data-theme` on <html>; the stylesheet does the rest). */
export function applyTheme(theme: Theme): void {
  if (theme === 'system') localStorage.removeItem(themeKey);
  else localStorage.setItem(themeKey, theme);
  const dark = theme === 'dark' || (theme === 'system' && matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
}

/** The stored interface language (a code of `i18n` languages), or the browser's. */
export function loadLanguage(available: readonly string[]): string {
  const stored = localStorage.getItem(langKey);
  if (stored && available.includes(stored)) return stored;
  for (const l of navigator.languages ?? [navigator.language]) {
    const base = l.toLowerCase().split('-')[0]!;
    if (available.includes(base)) return base;
  }
  return available[0] ?? 'en';
}

/** Stores the interface language. */
export function saveLanguage(lang: string): void {
  localStorage.setItem(langKey, lang);
}
