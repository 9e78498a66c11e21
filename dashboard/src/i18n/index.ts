// Interface strings: one complete dictionary per language. en.ts names every string; each other file
// is typed `Strings`, so `tsc` fails when a key is missing or misspelt there. Add a key: add it to
// en.ts and to every other file. Add a language: a file like fi.ts, and a row in `languages`.
// A string that says a count ("1 conversation", "2 conversations") goes into the `*Plural` part of
// each file instead, with every plural category of that language (`plural` picks one).
import { createContext, useContext } from 'react';
import { de, dePlural } from './de.ts';
import { en, enPlural, type PluralKey, type PluralStrings, type StringKey, type Strings } from './en.ts';
import { es, esPlural } from './es.ts';
import { fi, fiPlural } from './fi.ts';
import { fr, frPlural } from './fr.ts';
import { sv, svPlural } from './sv.ts';

export type { PluralKey, PluralStrings, StringKey, Strings } from './en.ts';

/** The interface languages offered, each named in itself; English first (the fallback). */
export const languages = [
  { code: 'en', label: 'English' },
  { code: 'fi', label: 'Suomi' },
  { code: 'sv', label: 'Svenska' },
  { code: 'de', label: 'Deutsch' },
  { code: 'fr', label: 'Français' },
  { code: 'es', label: 'Español' },
] as const;

/** The code of an interface language. */
export type Language = (typeof languages)[number]['code'];

/** Every dictionary, by language code. */
export const dictionaries: Record<Language, Strings> = { en, fi, sv, de, fr, es };

/** Counted strings of some language: each key has `other` and any of the other categories. */
export type AnyPluralStrings = Record<PluralKey, Partial<Record<Intl.LDMLPluralRule, string>> & { other: string }>;

/** Every language's counted strings, by language code. */
export const pluralDictionaries: Record<Language, AnyPluralStrings> = { en: enPlural, fi: fiPlural, sv: svPlural, de: dePlural, fr: frPlural, es: esPlural };

/** True when `code` is an interface language. */
export function isLanguage(code: string): code is Language {
  return Object.hasOwn(dictionaries, code);
}

/**
 * The language to show: an explicit choice (`stored`) wins; otherwise the first of the browser's
 * languages we have (`fi-FI` → `fi`); otherwise English.
 */
export function pickLanguage(stored: string | null, browser: readonly string[]): Language {
  if (stored && isLanguage(stored)) return stored;
  for (const tag of browser) {
    const base = tag.toLowerCase().split('-')[0] ?? '';
    if (isLanguage(base)) return base;
  }
  return 'en';
}

/** Looks up a string and fills its `{name}` placeholders. */
export type Translate = (key: StringKey, vars?: Record<string, string | number>) => string;

/** The translate function of a language (English for an unknown code). */
export function translator(lang: string): Translate {
  const dict = isLanguage(lang) ? dictionaries[lang] : en;
  return (key, vars) => (vars ? fill(dict[key], vars) : dict[key]);
}

/** Replaces the `{name}` placeholders of `text` that `vars` has. */
function fill(text: string, vars: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (Object.hasOwn(vars, name) ? String(vars[name]) : m));
}

/** Says `count` with a counted string: `{count}` is the number formatted, the others as in `Translate`. */
export type Plural = (key: PluralKey, count: number, vars?: Record<string, string | number>) => string;

/**
 * The plural function of a language (English for an unknown code): the form of the category
 * Intl.PluralRules picks for `count` (`other` should the browser's rules know one we lack), with the
 * number grouped by Intl.NumberFormat ("1,000" in English, "1 000" in Finnish).
 */
export function pluralizer(lang: string): Plural {
  const code = isLanguage(lang) ? lang : 'en';
  const dict = pluralDictionaries[code];
  const rules = new Intl.PluralRules(code);
  const number = new Intl.NumberFormat(code);
  return (key, count, vars) => {
    const forms = dict[key];
    const text = forms[rules.select(count)] ?? forms.other;
    return fill(text, { ...vars, count: number.format(count) });
  };
}

/** What the dashboard knows of an error: the API's code, its (English) message and details. */
export interface ErrorLike {
  code?: string;
  message: string;
  details?: unknown;
}

/**
 * An error in the interface language. A plan limit or a missing feature is said from its details in
 * every language; otherwise English shows the server's own message (often more specific) and the
 * other languages the string of its code (`apiError.*`, the file `reason.*`), or that message when
 * the code is not one we know.
 */
export function errorText(lang: string, error: ErrorLike): string {
  const t = translator(lang);
  const d = (error.details ?? {}) as { limit?: unknown; max?: unknown; feature?: unknown; tier?: unknown };
  const tier = typeof d.tier === 'string' && isKey(`tier.${d.tier}`) ? t(`tier.${d.tier}` as StringKey) : String(d.tier ?? '');
  if (error.code === 'tier_limit' && typeof d.max === 'number' && isKey(`limit.${String(d.limit)}`)) {
    return t('apiError.tierLimit', { limit: t(`limit.${String(d.limit)}` as StringKey), max: new Intl.NumberFormat(lang).format(d.max), tier });
  }
  if (error.code === 'feature_not_in_tier' && isKey(`feature.${String(d.feature)}`)) {
    return t('apiError.featureNotInTier', { feature: t(`feature.${String(d.feature)}` as StringKey), tier });
  }
  if (lang === 'en' || !error.code) return error.message;
  const key = /^http_\d+$/.test(error.code) ? 'apiError.http' : [`apiError.${error.code}`, `reason.${error.code}`].find(isKey);
  return key ? t(key as StringKey) : error.message;
}

/** The current language, its translate and plural functions and the setter. */
export interface I18nValue {
  lang: string;
  t: Translate;
  plural: Plural;
  setLang(lang: string): void;
}

/** Provided by App. */
export const I18nContext = createContext<I18nValue>({ lang: 'en', t: translator('en'), plural: pluralizer('en'), setLang: () => {} });

/** The translate and plural functions (and language) of the interface. */
export function useI18n(): I18nValue {
  return useContext(I18nContext);
}

/** True when `key` names a string (for keys built from API codes). */
export function isKey(key: string): key is StringKey {
  return Object.hasOwn(en, key);
}
