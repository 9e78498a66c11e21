// Interface preferences kept in localStorage: colour theme and language.
import { pickLanguage, type Language } from '../i18n/index.ts';

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

/** The interface language: the one chosen in this browser, else the browser's own (`navigator.languages`). */
export function loadLanguage(): Language {
  const browser = navigator.languages?.length ? navigator.languages : [navigator.language];
  return pickLanguage(localStorage.getItem(langKey), browser);
}

/** Stores the interface language. */
export function saveLanguage(lang: string): void {
  localStorage.setItem(langKey, lang);
}
