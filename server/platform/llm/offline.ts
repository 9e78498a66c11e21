import { setImmediate as nextTurn } from 'node:timers/promises';
import { guessLanguage, offlineLanguage, offlineText, stopWords, type OfflineLanguage } from './offline-text.ts';
import { estimatePromptTokens, estimateTokens, type ChatModel, type LlmEvent, type LlmPassage, type LlmRequest } from './types.ts';

/** The name the offline answerer is metered and stored under (unless configured otherwise). */
export const offlineModelName = 'cloop-offline-extractive-v1';

/** Passages looked at (they arrive best first). */
const TOP_PASSAGES = 3;
const MAX_SENTENCES = 3;
/** Quoted text beyond this is not added (one long sentence is still quoted, cut at `MAX_SENTENCE`). */
const MAX_QUOTED = 600;
const MAX_SENTENCE = 300;

/**
 * The embedded default with no provider key: an extractive answer. It quotes the 1–3 sentences of
 * the top passages that best overlap the question (the last user message), each cited like
 * «…» [1], after a lead-in that says the text is quoted from the site, in the visitor's language
 * (en, fi, sv, de, fr, es; `req.language`, else guessed from the question). No overlapping
 * sentence → a "could not find this" reply. Streamed word by word; usage is estimated and free.
 */
export function createOfflineChatModel(opts: { model?: string } = {}): ChatModel {
  return {
    model: opts.model ?? offlineModelName,
    provider: 'offline',
    async *stream(req: LlmRequest): AsyncGenerator<LlmEvent> {
      req.signal.throwIfAborted();
      const answer = offlineAnswer(req);
      for (const piece of answer.match(/\s*\S+/g) ?? []) {
        await nextTurn(); // a real await between words, so the route streams and can be aborted
        req.signal.throwIfAborted();
        yield { type: 'token', text: piece };
      }
      yield { type: 'usage', inputTokens: estimatePromptTokens(req.messages), outputTokens: estimateTokens(answer) };
    },
  };
}

/** The whole offline answer for a request (what `stream` sends word by word). */
export function offlineAnswer(req: Pick<LlmRequest, 'messages' | 'passages' | 'language'>): string {
  const question = req.messages.filter((m) => m.role === 'user').at(-1)?.content ?? '';
  const lang: OfflineLanguage = offlineLanguage(req.language) ?? guessLanguage(question);
  const quotes = pickQuotes(question, req.passages ?? []);
  if (!quotes.length) return offlineText[lang].notFound;
  return [offlineText[lang].leadIn, '', ...quotes.map((q) => `«${q.text}» [${q.n}]`)].join('\n');
}

interface Sentence {
  n: number;
  passage: number;
  index: number;
  text: string;
  terms: string[];
  score: number;
}

/** The best-overlapping sentences, merged when adjacent, in reading order. */
function pickQuotes(question: string, passages: LlmPassage[]): { n: number; text: string }[] {
  const wanted = [...new Set(contentTerms(question))];
  if (!wanted.length) return [];
  const sentences: Sentence[] = passages.slice(0, TOP_PASSAGES).flatMap((p, passage) =>
    splitSentences(p.text).map((text, index) => ({ n: p.n, passage, index, text, terms: contentTerms(text), score: 0 })),
  );
  // Rarer question terms weigh more (IDF over the candidate sentences).
  const weight = new Map(wanted.map((w) => [w, Math.log(1 + sentences.length / Math.max(1, sentences.filter((s) => s.terms.some((t) => termsMatch(w, t))).length))]));
  for (const s of sentences) {
    if (s.terms.length < 3) continue; // headings and fragments say too little to quote
    const matched = wanted.filter((w) => s.terms.some((t) => termsMatch(w, t)));
    const overlap = matched.reduce((sum, w) => sum + (weight.get(w) ?? 0), 0);
    s.score = (overlap * (1 - 0.1 * s.passage)) / (1 + s.text.length / 1000);
  }
  const ranked = sentences.filter((s) => s.score > 0).sort((a, b) => b.score - a.score);
  const best = ranked[0];
  if (!best) return [];
  const chosen: Sentence[] = [];
  let quoted = 0;
  for (const s of ranked) {
    if (chosen.length >= MAX_SENTENCES || s.score < best.score / 2) break;
    if (chosen.length && quoted + s.text.length > MAX_QUOTED) continue;
    chosen.push(s);
    quoted += s.text.length;
  }
  chosen.sort((a, b) => a.passage - b.passage || a.index - b.index);
  const quotes: { n: number; text: string; last: Sentence }[] = [];
  for (const s of chosen) {
    const prev = quotes.at(-1);
    if (prev && prev.last.passage === s.passage && prev.last.index + 1 === s.index) {
      prev.text += ` ${cut(s.text)}`;
      prev.last = s;
    } else quotes.push({ n: s.n, text: cut(s.text), last: s });
  }
  return quotes.map(({ n, text }) => ({ n, text }));
}

/** Sentences of a passage: split at line breaks and after `.`, `!`, `?`, `…` followed by a space. */
function splitSentences(text: string): string[] {
  return text
    .split(/\n+/)
    .flatMap((line) => line.split(/(?<=[.!?…])\s+(?=\S)/))
    .map((s) => s.replace(/\s+/g, ' ').replace(/^[-*•#>\s]+/, '').trim())
    .filter(Boolean);
}

/** Lower-case words that carry meaning: no function words of any of the six languages, no single letters. */
function contentTerms(text: string): string[] {
  const tokens = text.normalize('NFC').toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}\p{M}]*/gu) ?? [];
  return tokens.filter((t) => (t.length >= 3 || /\d/.test(t)) && !Object.values(stopWords).some((set) => set.has(t)));
}

/** Same word, or the same stem by a long enough common prefix ("password"/"passwords", "tili"/"tilin"). */
function termsMatch(a: string, b: string): boolean {
  if (a === b) return true;
  const shorter = Math.min(a.length, b.length);
  if (shorter < 4) return false;
  let common = 0;
  while (common < shorter && a[common] === b[common]) common++;
  return common >= Math.max(4, Math.ceil(shorter * 0.75));
}

function cut(sentence: string): string {
  if (sentence.length <= MAX_SENTENCE) return sentence;
  const head = sentence.slice(0, MAX_SENTENCE);
  return `${head.slice(0, Math.max(head.lastIndexOf(' '), MAX_SENTENCE / 2)).trimEnd()}…`;
}
