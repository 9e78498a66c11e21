// The interface dictionaries: every language says every string, keeps its placeholders, and is not
// English left in place; the language picker offers all six; the browser's language is the default.
import { describe, expect, it } from 'vitest';
import { errorStatus } from '../../../server/errors.ts';
import { bytes, count, dateTime, percent, shortDay, usd } from '../lib/format.ts';
import { en } from './en.ts';
import { dictionaries, errorText, languages, pickLanguage, translator, type Language, type StringKey } from './index.ts';

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
      const t = translator(code);
      const text = t('insights.perDaySummary', { conversations: 12, messages: 40, days: 30 });
      expect(text).toContain('12');
      expect(text).toContain('40');
      expect(text).not.toMatch(/[{}]/);
      expect(text).not.toBe(translator('en')('insights.perDaySummary', { conversations: 12, messages: 40, days: 30 }));
    });
  });

  it('the check for English words finds them (control)', () => {
    expect(englishWords.test(prose('Delete this site'))).toBe(true);
    expect(englishWords.test(prose('Poista sivusto {site}, robots.txt, </body>, site.updated, näitä, oförändrade'))).toBe(false);
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
