import { describe, expect, it } from 'vitest';
import { redactPii } from './redact.ts';

// One row per case: the visitor's text and what may leave the server. Rows whose output equals
// their input are near-misses that must survive untouched.
const rows: [what: string, input: string, output: string][] = [
  // emails
  ['email', 'Mail me at anna.virtanen+cloop@example.fi please', 'Mail me at [email] please'],
  ['email at the end of a sentence', 'It is john@mail.example.com.', 'It is [email].'],
  ['email with a non-ASCII local part', 'Kontakt: jürgen@beispiel.de', 'Kontakt: [email]'],
  ['two emails', 'a@b.io, c_d@e-f.org', '[email], [email]'],
  ['not an email: a handle', 'Follow @cloop on social media', 'Follow @cloop on social media'],
  ['not an email: no domain', 'user@localhost is not reachable', 'user@localhost is not reachable'],

  // phones
  ['international, spaced', 'Call me on +358 40 123 4567 tomorrow', 'Call me on [phone] tomorrow'],
  ['international, US style', 'My cell is +1 (555) 123-4567.', 'My cell is [phone].'],
  ['international with (0)', 'London office +44 (0)20 7946 0958', 'London office [phone]'],
  ['international, compact', 'WhatsApp +4915112345678', 'WhatsApp [phone]'],
  ['00 prefix', 'Ring 0046 8 123 456 78', 'Ring [phone]'],
  ['Finnish mobile, spaced', 'numeroni on 040 123 4567', 'numeroni on [phone]'],
  ['Finnish mobile, dashed', 'soita 040-1234567', 'soita [phone]'],
  ['national, unbroken with trunk 0', 'puh. 0401234567', 'puh. [phone]'],
  ['Swedish mobile', 'ring mig på 070-123 45 67', 'ring mig på [phone]'],
  ['German with slash', 'Telefon 030/12345678', 'Telefon [phone]'],
  ['French, pairs', 'appelez-moi au 01 23 45 67 89', 'appelez-moi au [phone]'],
  ['French, dotted pairs', 'tél. 01.23.45.67.89', 'tél. [phone]'],
  ['Spanish mobile', 'mi móvil es 612 345 678', 'mi móvil es [phone]'],
  ['US, parentheses', 'office (555) 123-4567', 'office [phone]'],
  ['US, dashed', 'text 555-123-4567 anytime', 'text [phone] anytime'],
  ['phone in parentheses', 'me (040 1234567) or email', 'me ([phone]) or email'],
  ['international after a reference word', 'Customer: +358 40 123 4567', 'Customer: [phone]'],
  ['phone number after "number is"', 'my phone number is 0401234567', 'my phone number is [phone]'],
  ['not a phone: year', 'We founded the shop in 2024.', 'We founded the shop in 2024.'],
  ['not a phone: year range', 'Prices for 2019-2024 and 2023 2024', 'Prices for 2019-2024 and 2023 2024'],
  ['not a phone: ISO date', 'ordered on 2024-05-14', 'ordered on 2024-05-14'],
  ['not a phone: dotted date', 'tilattu 14.05.2024', 'tilattu 14.05.2024'],
  ['not a phone: slashed date', 'on 05/14/2024', 'on 05/14/2024'],
  ['not a phone: time range', 'open 10.30-12.00 and 13:00-17:00', 'open 10.30-12.00 and 13:00-17:00'],
  ['not a phone: order number with #', 'my order #12345678 is late', 'my order #12345678 is late'],
  ['not a phone: order number in words', 'order number is 123456789', 'order number is 123456789'],
  ['not a phone: Finnish order number', 'tilausnumero 0401234567', 'tilausnumero 0401234567'],
  ['not a phone: German invoice', 'Rechnungsnummer: 2024 123 456', 'Rechnungsnummer: 2024 123 456'],
  ['not a phone: French order', 'commande n° 1234567890', 'commande n° 1234567890'],
  ['not a phone: short numbers', 'call 112 or 116 123', 'call 112 or 116 123'],
  ['seven digits are a phone number', 'call 0800 123', 'call [phone]'],
  ['not a phone: price with symbol', 'It costs €1,299.00 or $1234567', 'It costs €1,299.00 or $1234567'],
  ['not a phone: price with currency after', 'Le prix est 1 299 000 € environ', 'Le prix est 1 299 000 € environ'],
  ['not a phone: thousands with spaces', 'about 12 000 000 visitors', 'about 12 000 000 visitors'],
  ['not a phone: thousands with dots', 'über 1.299.000 Kunden', 'über 1.299.000 Kunden'],
  ['not a phone: decimal', 'pi is 3.14159265 and 1234567,89', 'pi is 3.14159265 and 1234567,89'],
  ['not a phone: percent', 'growth of 1234567 %', 'growth of 1234567 %'],
  ['not a phone: IP address', 'server 192.168.100.200 is down', 'server 192.168.100.200 is down'],
  ['not a phone: version', 'version 1.2.3.4567 fixed it', 'version 1.2.3.4567 fixed it'],
  ['not a phone: unbroken 8 digits without trunk 0', 'SKU 12345678 is sold out', 'SKU 12345678 is sold out'],
  ['not a phone: postcode and street number', 'Mannerheimintie 12, 00100 Helsinki', 'Mannerheimintie 12, 00100 Helsinki'],
  ['not a phone: in a URL', 'see https://shop.example/p/0401234567', 'see https://shop.example/p/0401234567'],
  ['not a phone: attached to letters', 'code AB0401234567X', 'code AB0401234567X'],
  ['not a phone: weight', 'ships 1500000 kg a year', 'ships 1500000 kg a year'],

  // payment cards
  ['Visa, grouped', 'card 4111 1111 1111 1111 exp 12/27', 'card [card] exp 12/27'],
  ['Mastercard, dashed', '5555-5555-5555-4444', '[card]'],
  ['Amex, 4-6-5', 'Amex 3782 822463 10005', 'Amex [card]'],
  ['Visa, compact', 'nr 4012888888881881.', 'nr [card].'],
  ['Discover', '6011 1111 1111 1117', '[card]'],
  ['not a card: Luhn fails', 'card 4111 1111 1111 1112', 'card 4111 1111 1111 1112'],
  ['12 grouped digits: a phone number, not a card', '4111 1111 1111', '[phone]'],
  ['not a card: 20 digits', '41111111111111111111', '41111111111111111111'],

  // IBANs
  ['Finnish IBAN, grouped', 'tilille FI21 1234 5600 0007 85 kiitos', 'tilille [iban] kiitos'],
  ['German IBAN, grouped', 'IBAN: DE89 3704 0044 0532 0130 00', 'IBAN: [iban]'],
  ['British IBAN with letters', 'GB82 WEST 1234 5698 7654 32', '[iban]'],
  ['Swedish IBAN', 'SE45 5000 0000 0583 9825 7466.', '[iban].'],
  ['French IBAN ending in letters', 'FR14 2004 1010 0505 0001 3M02 606', '[iban]'],
  ['Spanish IBAN', 'ES91 2100 0418 4502 0005 1332', '[iban]'],
  ['Dutch IBAN, compact', 'NL91ABNA0417164300', '[iban]'],
  ['IBAN in lower case', 'fi21 1234 5600 0007 85', '[iban]'],
  ['IBAN followed by an upper-case word', 'DE89 3704 0044 0532 0130 00 THANKS', '[iban] THANKS'],
  ['not an IBAN: check digits wrong', 'DE88 3704 0044 0532 0130 00', 'DE88 3704 0044 0532 0130 00'],
  ['not an IBAN: too long', 'FI21 1234 5600 0007 851', 'FI21 1234 5600 0007 851'],
  ['not an IBAN: unknown country', 'ZZ21 1234 5600 0007 85', 'ZZ21 1234 5600 0007 85'],
  ['not an IBAN: a product code', 'model AB12 is new', 'model AB12 is new'],
];

describe('redactPii', () => {
  it.each(rows)('%s', (_what, input, output) => {
    expect(redactPii(input).text).toBe(output);
  });

  it('counts what it replaced, each thing once', () => {
    const { text, counts } = redactPii(
      'Me: ann@example.com, +358 40 123 4567, 040-7654321, card 4111 1111 1111 1111, IBAN FI21 1234 5600 0007 85. Order #12345, year 2024.',
    );
    expect(text).toBe('Me: [email], [phone], [phone], card [card], IBAN [iban]. Order #12345, year 2024.');
    expect(counts).toEqual({ email: 1, phone: 2, card: 1, iban: 1 });
    expect(redactPii('4111 1111 1111').counts).toEqual({ email: 0, phone: 1, card: 0, iban: 0 });
  });

  it('leaves text without personal data exactly as it was', () => {
    const text = 'How much does the Pro plan cost per month? Is there a discount for 10 users in 2025?';
    expect(redactPii(text)).toEqual({ text, counts: { email: 0, phone: 0, card: 0, iban: 0 } });
  });
});
