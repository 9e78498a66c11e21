/** How many of each kind of personal data `redactPii` replaced. */
export interface RedactionCounts {
  email: number;
  phone: number;
  card: number;
  iban: number;
}

/**
 * Replaces personal data in a visitor's text with placeholders before it leaves the server:
 * emails `[email]`, IBANs `[iban]` (known country length, mod-97 valid), payment cards `[card]`
 * (13–19 digits starting 2–6, Luhn valid) and phone numbers `[phone]` (7–15 digits, `+`/`00`
 * international or national formats with spaces, dashes, dots, slashes or parentheses).
 * Years, dates, times, prices, amounts, IP and version numbers, postcodes and order or invoice
 * numbers are left alone. Checks run in that order, so a number is counted once.
 */
export function redactPii(text: string): { text: string; counts: RedactionCounts } {
  const counts: RedactionCounts = { email: 0, phone: 0, card: 0, iban: 0 };
  let out = text.replace(EMAIL, () => (counts.email++, '[email]'));
  out = replaceIbans(out, () => counts.iban++);
  out = out.replace(CARD, (match) => (luhnValid(match.replace(/\D/g, '')) ? (counts.card++, '[card]') : match));
  out = out.replace(PHONE, (match, offset: number, whole: string) => (isPhone(match, offset, whole) ? (counts.phone++, '[phone]') : match));
  return { text: out, counts };
}

const EMAIL = /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]+@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)+\p{L}{2,}(?![\p{L}\p{N}-])/gu;

/** A whole run of 13–19 digits with single spaces or dashes, not part of a longer number or a `+` phone number. */
const CARD = /(?<![\p{N}+])(?<![\p{N}+][ -])[2-6](?:[ -]?\d){12,18}(?![ -]?\d)/gu;

/** A maximal run of digits and phone separators; `isPhone` decides. */
const PHONE = /(?<![\p{L}\p{N}_#@$€£¥.,/:+-])\+?(?:\(\d{1,5}\)|\d)(?:[ \u00a0./-]?(?:\(\d{1,5}\)|\d))+/gu;

/** Words after which a number is an order, invoice, customer or reference number (en, fi, sv, de, fr, es). */
const REFERENCE_BEFORE = new RegExp(
  String.raw`(?:order|invoice|ticket|case|booking|tracking|reference|ref|receipt|serial|sku|customer|tilaus\p{L}*|lasku\p{L}*|viite\p{L}*|asiakasnumero\p{L}*|beställning\p{L}*|faktura\p{L}*|ordernummer|kundnummer|bestell\p{L}*|rechnung\p{L}*|auftrag\p{L}*|kundennummer|commande|facture|référence|pedido|factura|referencia)` +
    String.raw`(?:\s*(?:number|no\.?|nr\.?|id|num(?:ber|ero|éro)|nummer|número|nro\.?|n[°º]\.?))?(?:\s+(?:is|was|ist|lautet|est|es|är|on|er))?\s*[:#]?\s*$`,
  'iu',
);
const CURRENCY_BEFORE = /[$€£¥]\s*$|\b(?:eur|usd|gbp|sek|nok|dkk|chf)\s*$/iu;
const UNIT_AFTER = /^\s*(?:[%€$£¥‰]|(?:eur|euros?|usd|gbp|sek|nok|dkk|chf|kr|kronor|dollars?|kg|g|km|m|cm|mm|m²|m2|mb|gb|kb|px)(?![\p{L}\p{N}]))/iu;
const YEAR = /^(?:1[89]|20)\d\d$/;

/** Whether a digit run found by `PHONE` at `offset` is a phone number rather than some other number. */
function isPhone(raw: string, offset: number, text: string): boolean {
  const digits = raw.replace(/\D/g, '');
  if (digits.length < 7 || digits.length > 15) return false;
  const after = text.slice(offset + raw.length);
  if (/^[\p{L}_@]/u.test(after) || /^[.,]\d/.test(after) || UNIT_AFTER.test(after)) return false;
  const before = text.slice(Math.max(0, offset - 40), offset);
  if (CURRENCY_BEFORE.test(before)) return false;
  if (raw.startsWith('+')) return true;
  if (REFERENCE_BEFORE.test(before)) return false;
  // The tail of a code such as an IBAN that failed its check ("FI21 1234 …"): not a phone number either.
  if (/[\p{L}][\p{L}\p{N}]*\d[ -]$/u.test(before)) return false;

  const groups = raw.split(/\D+/).filter(Boolean);
  if (groups.every((g) => YEAR.test(g))) return false; // 2019-2024, 1999 2000
  if (/^\d{4}[-./]\d{1,2}[-./]\d{1,2}$|^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$/.test(raw)) return false; // dates
  if (/^\d{1,2}[.:]\d{2}-\d{1,2}[.:]\d{2}$/.test(raw)) return false; // 10.30-12.00
  if (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(raw)) return false; // IPv4
  if (/^\d{1,3}(?:\.\d{3})+$/.test(raw) || /^[1-9]\d?(?:[ \u00a0]\d{3})+$/.test(raw)) return false; // 1.299.000, 12 000 000
  if (raw.includes('.') && groups.some((g) => g.length < 2)) return false; // 1.2.3.4567
  if (raw.includes('/') && !raw.startsWith('0')) return false; // 2023/2024/1234
  if (groups.length === 1) {
    // One unbroken number: national trunk prefix 0 (00 = international), or long enough to be dialled.
    if (raw.startsWith('00')) return digits.length >= 9;
    return raw.startsWith('0') || digits.length >= 9;
  }
  return true;
}

/** Luhn checksum of a digit string. */
function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

/** IBAN length by country (SWIFT IBAN registry). */
const ibanLengths: Record<string, number> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28, CH: 21, CR: 22, CY: 28,
  CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23,
  GL: 18, GR: 27, GT: 28, HN: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28,
  LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28,
  NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24, SC: 31, SD: 18, SE: 24,
  SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
};

const IBAN_START = /(?<![\p{L}\p{N}])[A-Za-z]{2}\d{2}/gu;

/** Replaces every IBAN (printed compact or in groups, any case) with `[iban]`. */
function replaceIbans(text: string, onHit: () => void): string {
  let out = '';
  let from = 0;
  IBAN_START.lastIndex = 0;
  for (let m = IBAN_START.exec(text); m; m = IBAN_START.exec(text)) {
    const end = ibanEnd(text, m.index);
    if (end === null) continue;
    out += `${text.slice(from, m.index)}[iban]`;
    onHit();
    from = end;
    IBAN_START.lastIndex = end;
  }
  return out + text.slice(from);
}

/** Where the valid IBAN starting at `start` ends, or null when there is none. */
function ibanEnd(text: string, start: number): number | null {
  const length = ibanLengths[text.slice(start, start + 2).toUpperCase()];
  if (!length) return null;
  let compact = '';
  let i = start;
  while (compact.length < length && i < text.length) {
    const c = text[i]!;
    if (/[A-Za-z0-9]/.test(c)) {
      compact += c.toUpperCase();
      i++;
    } else if ((c === ' ' || c === '-') && compact.length >= 4 && /[A-Za-z0-9]/.test(text[i + 1] ?? '')) i++;
    else break;
  }
  if (compact.length !== length || /[\p{L}\p{N}]/u.test(text[i] ?? '')) return null;
  return mod97(compact.slice(4) + compact.slice(0, 4)) === 1 ? i : null;
}

/** The IBAN check: letters as 10..35, the whole number modulo 97. */
function mod97(s: string): number {
  let rest = 0;
  for (const c of s) {
    const v = /\d/.test(c) ? c : String(c.charCodeAt(0) - 55);
    for (const d of v) rest = (rest * 10 + (d.charCodeAt(0) - 48)) % 97;
  }
  return rest;
}
