// The interface dictionaries: every language says every string, keeps its placeholders, and is not
// English left in place; counted strings give every plural category of their language; the language
// picker offers all six; the browser's language is the default.
import { describe, expect, it } from 'vitest';
import { errorStatus } from '../../../server/errors.ts';
import { bytes, count, dateTime, percent, shortDay, usd } from '../lib/format.ts';
import { en, enPlural } from './en.ts';
import { frPlural } from './fr.ts';
import { dictionaries, errorText, languages, pickLanguage, pluralDictionaries, pluralizer, translator, type AnyPluralStrings, type Language, type PluralKey, type StringKey } from './index.ts';

const keys = Object.keys(en) as StringKey[];
const translated = languages.map((l) => l.code).filter((c): c is Exclude<Language, 'en'> => c !== 'en');

/** Strings that are rightly the same as the English one although longer than three words (none yet). */
const sameAsEnglish: Partial<Record<Language, StringKey[]>> = {};

/** Words that are English only: a translation containing one was left (partly) untranslated. */
const englishWords = /(?<!\p{L})(the|and|your|you|this|that|with|will|is|are|not|from|to|of|for|or|it|can|have|yet|here|there)(?!\p{L})/iu;

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
const words = (text: string) => text.trim().split(/\s+/).length;
/** The text without what is never translated: placeholders, code, hosts, file and action names. */
const prose = (text: string) => text.replace(/\{\w+\}|<\/?\w+>|\S*\.(txt|com|updated)\b|\bmember\.|\bCloop\b|\bAcme( Cloud)?\b/g, ' ');

describe('the dictionaries', () => {
  it('english has about 400 strings, none empty', () => {
    expect(keys.length).toBeGreaterThan(350);
    expect(keys.filter((k) => !en[k].trim())).toEqual([]);
  });

  describe.each(translated)('%s', (code) => {
    const dict = dictionaries[code];

    it('has exactly the keys of English', () => {
      expect(Object.keys(dict).sort()).toEqual([...keys].sort());
    });

    it('has no empty string', () => {
      expect(keys.filter((k) => !dict[k]?.trim())).toEqual([]);
    });

    it('keeps the placeholders of every string', () => {
      const wrong = keys.filter((k) => placeholders(dict[k]).join() !== placeholders(en[k]).join());
      expect(wrong.map((k) => `${k}: ${dict[k]}`)).toEqual([]);
    });

    it('leaves no English in place', () => {
      const allowed = new Set(sameAsEnglish[code] ?? []);
      const same = keys.filter((k) => words(en[k]) > 3 && dict[k] === en[k] && !allowed.has(k));
      expect(same, 'strings of more than three words identical to English').toEqual([]);
      expect([...allowed].filter((k) => dict[k] !== en[k]), 'exceptions no longer needed').toEqual([]);
      const english = keys.filter((k) => englishWords.test(prose(dict[k])));
      expect(english.map((k) => `${k}: ${dict[k]}`), 'strings with English words').toEqual([]);
    });

    it('never gives a confirmation the same words as its Cancel button', () => {
      const confirms: StringKey[] = ['common.delete', 'common.remove', 'team.revoke', 'account.signOutAll', 'settings.rotateConfirm', 'settings.deleteConfirm'];
      expect(confirms.filter((k) => dict[k] === dict['common.cancel'])).toEqual([]);
    });

    it('fills placeholders in its own words', () => {
      const summary = (lang: string) => {
        const plural = pluralizer(lang);
        return plural('insights.perDaySummary', 30, { conversations: plural('count.conversations', 12), messages: plural('count.messages', 40) });
      };
      const text = summary(code);
      expect(text).toContain('12');
      expect(text).toContain('40');
      expect(text).toContain('30');
      expect(text).not.toMatch(/[{}]/);
      expect(text).not.toBe(summary('en'));
    });
  });

  it('the check for English words finds them (control)', () => {
    expect(englishWords.test(prose('Delete this site'))).toBe(true);
    expect(englishWords.test(prose('Poista sivusto {site}, robots.txt, </body>, site.updated, näitä, oförändrade'))).toBe(false);
  });
});

const pluralKeys = Object.keys(enPlural) as PluralKey[];

/** What is wrong with `dict`'s plural categories for `lang`: one line per key with a category missing or extra. */
function categoryProblems(lang: string, dict: AnyPluralStrings): string[] {
  const wanted = new Intl.PluralRules(lang).resolvedOptions().pluralCategories;
  return pluralKeys.flatMap((k) => {
    const given = Object.keys(dict[k] ?? {});
    const missing = wanted.filter((c) => !given.includes(c));
    const extra = given.filter((c) => !(wanted as string[]).includes(c));
    return missing.length || extra.length ? [`${k}: missing ${missing.join() || '-'}, extra ${extra.join() || '-'}`] : [];
  });
}

describe('counted strings', () => {
  describe.each(languages.map((l) => l.code))('%s', (code) => {
    const dict = pluralDictionaries[code];

    it('has exactly the keys of English', () => {
      expect(Object.keys(dict).sort()).toEqual([...pluralKeys].sort());
    });

    it('gives every plural category Intl.PluralRules reports for the language, and no other', () => {
      expect(categoryProblems(code, dict)).toEqual([]);
    });

    it('says {count} and keeps the other placeholders of English in every form', () => {
      const wrong = pluralKeys.flatMap((k) =>
        Object.entries(dict[k]).filter(([, text]) => !text.includes('{count}') || placeholders(text).join() !== placeholders(enPlural[k].other).join()).map(([c, text]) => `${k}.${c}: ${text}`),
      );
      expect(wrong).toEqual([]);
    });

    it.skipIf(code === 'en')('leaves no English in place', () => {
      const english = pluralKeys.flatMap((k) => Object.entries(dict[k]).filter(([, text]) => englishWords.test(prose(text))).map(([c, text]) => `${k}.${c}: ${text}`));
      expect(english).toEqual([]);
      expect(pluralKeys.filter((k) => words(enPlural[k].other) > 3 && dict[k].other === enPlural[k].other)).toEqual([]);
    });
  });

  it('a missing or extra category is found (control)', () => {
    const { many: _, ...withoutMany } = frPlural['count.messages'];
    expect(categoryProblems('fr', { ...frPlural, 'count.messages': withoutMany as AnyPluralStrings[PluralKey] })).toEqual(['count.messages: missing many, extra -']);
    expect(categoryProblems('en', { ...enPlural, 'count.messages': { ...enPlural['count.messages'], few: 'x' } })).toEqual(['count.messages: missing -, extra few']);
  });

  // Spaces normalized: ICU versions differ in which (no-break, narrow no-break) space groups digits.
  const say = (lang: string, key: PluralKey, n: number) => pluralizer(lang)(key, n).replace(/\s/g, ' ');

  it.each([
    ['en', 0, '0 conversations'],
    ['en', 1, '1 conversation'],
    ['en', 2, '2 conversations'],
    ['en', 5, '5 conversations'],
    ['en', 21, '21 conversations'],
    ['en', 1000, '1,000 conversations'],
    ['fi', 0, '0 keskustelua'],
    ['fi', 1, '1 keskustelu'],
    ['fi', 2, '2 keskustelua'],
    ['fi', 5, '5 keskustelua'],
    ['fi', 21, '21 keskustelua'],
    ['fi', 1000, '1 000 keskustelua'],
    ['sv', 1, '1 konversation'],
    ['sv', 21, '21 konversationer'],
    ['de', 1, '1 Gespräch'],
    ['de', 1000, '1.000 Gespräche'],
    ['fr', 0, '0 conversation'],
    ['fr', 1, '1 conversation'],
    ['fr', 2, '2 conversations'],
    ['fr', 1_000_000, '1 000 000 de conversations'],
    ['es', 1, '1 conversación'],
    ['es', 21, '21 conversaciones'],
    ['es', 1_000_000, '1.000.000 de conversaciones'],
  ] as const)('%s: %d conversations are "%s"', (lang, n, text) => {
    expect(say(lang, 'count.conversations', n)).toBe(text);
  });

  it.each([
    ['en', [0, 1, 2, 5, 21, 1000], ['0 messages', '1 message', '2 messages', '5 messages', '21 messages', '1,000 messages']],
    ['fi', [0, 1, 2, 5, 21, 1000], ['0 viestiä', '1 viesti', '2 viestiä', '5 viestiä', '21 viestiä', '1 000 viestiä']],
  ] as const)('%s: messages of a conversation', (lang, counts, texts) => {
    expect(counts.map((n) => say(lang, 'count.messages', n))).toEqual(texts);
  });

  it('puts counts inside a sentence, each in its own form', () => {
    const en = pluralizer('en');
    const fi = pluralizer('fi');
    expect(en('insights.perDaySummary', 30, { conversations: en('count.conversations', 1), messages: en('count.messages', 2) })).toBe('1 conversation and 2 messages in the last 30 days.');
    expect(en('insights.perDaySummary', 1, { conversations: en('count.conversations', 0), messages: en('count.messages', 1) })).toBe('0 conversations and 1 message in the last 1 day.');
    expect(fi('insights.perDaySummary', 30, { conversations: fi('count.conversations', 1), messages: fi('count.messages', 2) })).toBe('1 keskustelu ja 2 viestiä viimeisten 30 päivän aikana.');
    expect(en('usage.costSummary', 7, { total: '$1.00', cap: '$5.00' })).toBe('$1.00 in the last 7 days; the daily cap is $5.00.');
    expect([1, 30].map((n) => fi('limit.days', n))).toEqual(['1 päivä', '30 päivää']);
    expect([7, 1].map((n) => en('common.lastDays', n))).toEqual(['Last 7 days', 'Last 1 day']);
  });

  it('an unknown language counts in English', () => {
    expect(pluralizer('xx')('count.messages', 1)).toBe('1 message');
  });
});

describe('the language picker', () => {
  it('offers the six languages, each named in itself, English first', () => {
    expect(languages.map((l) => `${l.code} ${l.label}`)).toEqual(['en English', 'fi Suomi', 'sv Svenska', 'de Deutsch', 'fr Français', 'es Español']);
    expect(Object.keys(dictionaries).sort()).toEqual(languages.map((l) => l.code).sort());
  });

  it('an unknown language falls back to English', () => {
    expect(translator('xx')('nav.conversations')).toBe('Conversations');
    expect(translator('fi')('nav.conversations')).toBe('Keskustelut');
  });
});

describe('the language chosen', () => {
  it.each([
    { stored: null, browser: ['fi-FI', 'en-US'], lang: 'fi', why: 'a Finnish browser gets Finnish on the first visit' },
    { stored: null, browser: ['fi'], lang: 'fi', why: 'a bare language tag' },
    { stored: 'en', browser: ['fi-FI'], lang: 'en', why: 'an explicit choice wins over the browser' },
    { stored: 'de', browser: ['fi-FI'], lang: 'de', why: 'any explicit choice wins' },
    { stored: 'xx', browser: ['sv-FI'], lang: 'sv', why: 'a stored code we do not have is ignored' },
    { stored: null, browser: ['ja-JP', 'es-MX'], lang: 'es', why: 'the first language we have, in the browser’s order' },
    { stored: null, browser: ['ja-JP'], lang: 'en', why: 'nothing we have: English' },
    { stored: null, browser: [], lang: 'en', why: 'no browser languages: English' },
  ])('$why', ({ stored, browser, lang }) => {
    expect(pickLanguage(stored, browser)).toBe(lang);
  });
});

describe('errors from the API', () => {
  const limit = { code: 'tier_limit', message: 'Your plan (free) allows 1 for sites.', details: { limit: 'sites', max: 1, used: 1, tier: 'free' } };
  const feature = { code: 'feature_not_in_tier', message: 'Your plan (free) does not include leadExport.', details: { feature: 'leadExport', tier: 'free' } };

  it('say a plan limit or a missing feature from its details, English too', () => {
    expect(errorText('en', limit)).toBe('Sites: at most 1 on your plan (Free).');
    expect(errorText('fi', limit)).toBe('Sivustot: enintään 1 tilauksellasi (Ilmainen).');
    expect(errorText('en', feature)).toBe('Your plan (Free) does not include this: Lead export (CSV).');
    expect(errorText('de', feature)).toBe('Ihr Tarif (Free) enthält Folgendes nicht: Lead-Export (CSV).');
  });

  it('keep the server’s words in English and say the code’s string in the other languages', () => {
    const conflict = { code: 'conflict', message: 'This source is already being synced.' };
    expect(errorText('en', conflict)).toBe('This source is already being synced.');
    expect(errorText('sv', conflict)).toBe(dictionaries.sv['apiError.conflict']);
    expect(errorText('fr', { code: 'pdf_encrypted', message: 'The PDF is password-protected.' })).toBe(dictionaries.fr['reason.pdf_encrypted']);
    expect(errorText('es', { code: 'http_502', message: 'The server answered 502. Try again.' })).toBe(dictionaries.es['apiError.http']);
    expect(errorText('fi', { code: 'network', message: 'Could not reach Cloop.' })).toBe(dictionaries.fi['apiError.network']);
  });

  it('have strings only for codes the server has (plus the dashboard’s own: network, http)', () => {
    const codes = keys.filter((k) => /^apiError\.[a-z_]+$/.test(k)).map((k) => k.slice('apiError.'.length));
    expect(codes.filter((c) => !Object.hasOwn(errorStatus, c) && c !== 'network' && c !== 'http')).toEqual([]);
  });

  it('fall back to the server’s words for a code without a string, or a plan error without details', () => {
    expect(errorText('fi', { code: 'something_new', message: 'Something new went wrong.' })).toBe('Something new went wrong.');
    expect(errorText('en', { code: 'tier_limit', message: 'Your plan does not allow more.' })).toBe('Your plan does not allow more.');
    expect(errorText('de', { code: 'tier_limit', message: 'Your plan does not allow more.' })).toBe(dictionaries.de['apiError.tier_limit']);
    expect(errorText('fi', new Error('boom'))).toBe('boom');
  });
});

describe('dates and numbers follow the interface language', () => {
  // Spaces normalized: ICU versions differ in which (no-break, narrow no-break) space they use.
  const plain = (text: string) => text.replace(/\s/g, ' ');

  it('formats with Intl in the chosen language', () => {
    expect(count(1234567, 'en')).toBe('1,234,567');
    expect(plain(count(1234567, 'fi'))).toBe('1 234 567');
    expect(plain(percent(0.5, 'fr'))).toBe('50 %');
    expect(plain(usd(2.5, 'de'))).toBe('2,50 $');
    expect(shortDay('2026-03-03', 'es')).toBe('3 mar');
    expect(dateTime('2026-03-03T12:00:00Z', 'fi')).toContain('klo');
    expect([bytes(5 * 1024 * 1024, 'en'), bytes(5 * 1024 * 1024, 'fi'), bytes(5 * 1024 * 1024, 'fr'), bytes(1536, 'de')].map(plain)).toEqual(['5.0 MB', '5,0 Mt', '5,0 Mo', '1,5 kB']);
  });
});
