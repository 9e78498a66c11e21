// Interface strings: one dictionary per language, English complete, others may be partial (English fills
// the gaps). Add a language: a file like en.ts typed `Partial<Strings>`, and a row in `languages`.
import { createContext, useContext } from 'react';
import { en, type StringKey } from './en.ts';

export type { StringKey } from './en.ts';

/** The interface languages offered. */
export const languages = [{ code: 'en', label: 'English' }] as const;

const dictionaries: Record<string, Partial<Record<StringKey, string>>> = { en };

/** Looks up a string and fills its `{name}` placeholders. */
export type Translate = (key: StringKey, vars?: Record<string, string | number>) => string;

/** The translate function of a language. */
export function translator(lang: string): Translate {
  const dict = dictionaries[lang] ?? en;
  return (key, vars) => {
    const text = dict[key] ?? en[key];
    return vars ? text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m)) : text;
  };
}

/** The current language, its translate function and the setter. */
export interface I18nValue {
  lang: string;
  t: Translate;
  setLang(lang: string): void;
}

/** Provided by App. */
export const I18nContext = createContext<I18nValue>({ lang: 'en', t: translator('en'), setLang: () => {} });

/** The translate function (and language) of the interface. */
export function useI18n(): I18nValue {
  return useContext(I18nContext);
}

/** True when `key` names a string (for keys built from API codes). */
export function isKey(key: string): key is StringKey {
  return Object.hasOwn(en, key);
}
