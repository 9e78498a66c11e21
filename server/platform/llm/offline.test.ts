import { describe, expect, it } from 'vitest';
import { createOfflineChatModel, offlineAnswer } from './offline.ts';
import { offlineText } from './offline-text.ts';
import { estimatePromptTokens, estimateTokens, type LlmEvent, type LlmPassage, type LlmRequest } from './types.ts';

const helpCentre: LlmPassage[] = [
  {
    n: 1,
    title: 'Reset your password',
    text: 'Forgot your password? Open Settings and choose Security. Click "Reset password" and we email you a link. The link is valid for one hour.',
  },
  { n: 2, title: 'Delete your account', text: 'To delete your account, go to Settings > Account and choose "Delete account". Your data is removed within 30 days.' },
  { n: 3, title: 'Pricing', text: 'The Pro plan costs 12 euros per user per month. The Business plan adds single sign-on and audit logs.' },
];

const ask = (question: string, over: Partial<LlmRequest> = {}): LlmRequest => ({
  messages: [
    { role: 'system', content: 'rules' },
    { role: 'user', content: 'Hello' },
    { role: 'assistant', content: 'Hi! How can I help?' },
    { role: 'user', content: question },
  ],
  maxTokens: 300,
  signal: new AbortController().signal,
  passages: helpCentre,
  ...over,
});

async function collect(req: LlmRequest): Promise<LlmEvent[]> {
  const events: LlmEvent[] = [];
  for await (const ev of createOfflineChatModel().stream(req)) events.push(ev);
  return events;
}

const textOf = (events: LlmEvent[]) => events.map((e) => (e.type === 'token' ? e.text : '')).join('');

describe('offline extractive answerer', () => {
  it('quotes the best-matching sentences of the passages, cited, after a lead-in that says they are quoted', async () => {
    const answer = offlineAnswer(ask('How do I reset my password?'));
    expect(answer).toBe(`${offlineText.en.leadIn}\n\n«Click "Reset password" and we email you a link.» [1]`);
  });

  it('cites the passage each quote comes from', () => {
    expect(offlineAnswer(ask('How can I delete my account?'))).toContain('«To delete your account, go to Settings > Account and choose "Delete account".');
    expect(offlineAnswer(ask('How can I delete my account?'))).toMatch(/» \[2\]$/);
    expect(offlineAnswer(ask('What does the Pro plan cost per month?'))).toContain('«The Pro plan costs 12 euros per user per month.» [3]');
  });

  it('streams the answer word by word, then an estimated usage', async () => {
    const req = ask('How do I reset my password?');
    const events = await collect(req);
    const tokens = events.filter((e) => e.type === 'token');
    expect(tokens.length).toBeGreaterThan(10);
    expect(textOf(events)).toBe(offlineAnswer(req));
    expect(events.at(-1)).toEqual({ type: 'usage', inputTokens: estimatePromptTokens(req.messages), outputTokens: estimateTokens(offlineAnswer(req)) });
    expect(events.filter((e) => e.type === 'usage')).toHaveLength(1);
  });

  it('adds no artificial delay', async () => {
    const long: LlmPassage = { n: 1, title: 'Long', text: `Password reset works like this: ${'step word '.repeat(25)}done.` };
    const started = performance.now();
    const events = await collect(ask('password reset', { passages: [long] }));
    expect(events.length).toBeGreaterThan(20);
    expect((performance.now() - started) / events.length).toBeLessThan(5);
  });

  // One row per language: the question in that language, the words the lead-in must use.
  const languages: [lang: keyof typeof offlineText, question: string, passage: string][] = [
    ['en', 'How long is the reset link valid?', 'The reset link is valid for one hour.'],
    ['fi', 'Kuinka kauan salasanan palautuslinkki on voimassa?', 'Salasanan palautuslinkki on voimassa tunnin ajan.'],
    ['sv', 'Hur länge gäller länken för att återställa lösenordet?', 'Länken för att återställa lösenordet gäller i en timme.'],
    ['de', 'Wie lange ist der Link zum Zurücksetzen gültig?', 'Der Link zum Zurücksetzen ist eine Stunde gültig.'],
    ['fr', 'Combien de temps le lien de réinitialisation est-il valable ?', 'Le lien de réinitialisation est valable une heure.'],
    ['es', '¿Cuánto tiempo es válido el enlace de restablecimiento?', 'El enlace de restablecimiento es válido durante una hora.'],
  ];

  it.each(languages)('answers in %s: localized lead-in, the quote and its citation', (lang, question, passage) => {
    const passages = [{ n: 1, title: 'Reset', text: passage }];
    const expected = `${offlineText[lang].leadIn}\n\n«${passage}» [1]`;
    expect(offlineAnswer(ask(question, { passages, language: lang }))).toBe(expected);
    expect(offlineAnswer(ask(question, { passages, language: `${lang}-XX` }))).toBe(expected);
    // Without a language code, the question's own language decides.
    expect(offlineAnswer(ask(question, { passages }))).toBe(expected);
  });

  it.each(languages)('says it could not find the answer, in %s, when there are no passages', (lang, question) => {
    expect(offlineAnswer(ask(question, { passages: [], language: lang }))).toBe(offlineText[lang].notFound);
    expect(offlineAnswer(ask(question, { passages: undefined, language: lang }))).toBe(offlineText[lang].notFound);
  });

  it('says it could not find the answer when no sentence overlaps the question', () => {
    expect(offlineAnswer(ask("What's the weather in Paris?", { language: 'en' }))).toBe(offlineText.en.notFound);
    expect(offlineAnswer(ask('?!', { language: 'de' }))).toBe(offlineText.de.notFound);
  });

  it('falls back to English for a language it does not speak', () => {
    expect(offlineAnswer(ask('reset password', { language: 'pt' }))).toMatch(new RegExp(`^${offlineText.en.leadIn.replace(/[()]/g, '\\$&')}`));
  });

  it('quotes at most three sentences, joins neighbours into one quote, and cuts a very long sentence', () => {
    const passages: LlmPassage[] = [
      { n: 1, title: 'A', text: 'Refunds are paid within 14 days. Refunds go back to the original card. Shipping is free.' },
      { n: 2, title: 'B', text: 'Refunds for gift cards are not possible. Refunds need the receipt.' },
      { n: 3, title: 'C', text: `Refunds ${'and more words '.repeat(40)}end.` },
    ];
    const answer = offlineAnswer(ask('refunds', { passages, language: 'en' }));
    const quotes = answer.split('\n').slice(2);
    expect(quotes[0]).toBe('«Refunds are paid within 14 days. Refunds go back to the original card.» [1]');
    expect(answer.match(/Refunds/g)).toHaveLength(3);
    const long = offlineAnswer(ask('refunds', { passages: [passages[2]!], language: 'en' }));
    expect(long.length).toBeLessThan(400);
    expect(long).toMatch(/…» \[3\]$/);
  });

  it("stops at the caller's abort", async () => {
    const controller = new AbortController();
    const seen: LlmEvent[] = [];
    const run = async () => {
      for await (const ev of createOfflineChatModel().stream(ask('How do I reset my password?', { signal: controller.signal }))) {
        seen.push(ev);
        if (seen.length === 3) controller.abort();
      }
    };
    await expect(run()).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toHaveLength(3);
  });

  it('names itself', () => {
    expect(createOfflineChatModel()).toMatchObject({ provider: 'offline', model: 'cloop-offline-extractive-v1' });
    expect(createOfflineChatModel({ model: 'cloop-offline-extractive' }).model).toBe('cloop-offline-extractive');
  });
});
