import type { Phase } from '../../../contracts/widget.ts';
import { estimateTokens, type LlmMessage } from '../../platform/llm/types.ts';
import { canaryLine, contentIntro, instructionPieces, intro, languageRules, noContent, personaIntro, phaseGuidance, refusals, reminder, rules } from './prompt-text.ts';

/** A retrieved passage as the prompt shows it. */
export interface PromptPassage {
  /** The citation number, as in `[1]`. */
  n: number;
  title: string;
  url?: string | null;
  text: string;
}

/** Everything one prompt is built from. */
export interface PromptInput {
  /** The site owner's persona: style guidance only, cut at `personaMaxChars`. */
  persona?: string | null;
  siteName: string;
  /** The widget's language code (`fi`, `sv-SE`): the fallback when the question's language is unclear. */
  language?: string | null;
  phase: Phase;
  passages: PromptPassage[];
  /** Earlier turns, oldest first, without the question itself. */
  history: { role: 'user' | 'assistant'; content: string }[];
  /** The visitor's (redacted) message. */
  question: string;
  /** Budget for `history` at 4 characters a token; the oldest turns are dropped first. */
  maxHistoryTokens: number;
  /** A random secret per request: the output filter refuses an answer that contains it. */
  canary: string;
}

/** Longest persona put into the prompt (the settings allow no more). */
export const personaMaxChars = 2000;
const siteNameMaxChars = 100;

/**
 * The messages for one answer: a system message (rules, language, persona as style notes, phase
 * guidance, the canary, and the passages in a `<site_content>` block where each passage's text is
 * escaped so it cannot close its `<passage>` element), then as much recent history as the budget
 * allows, then the question.
 */
export function buildPrompt(input: PromptInput): LlmMessage[] {
  const system = [
    intro.replace('{site}', escapeData(oneLine(input.siteName).slice(0, siteNameMaxChars), true)),
    '',
    ...rules.map((r) => r.replace('{language}', languageRule(input.language))),
    '',
    canaryLine.replace('{canary}', input.canary),
    ...personaBlock(input.persona),
    '',
    phaseGuidance[input.phase],
    '',
    contentIntro,
    '<site_content>',
    ...(input.passages.length ? input.passages.map(passageElement) : [noContent]),
    '</site_content>',
    reminder,
  ].join('\n');
  return [{ role: 'system', content: system }, ...trimHistory(input.history, input.maxHistoryTokens), { role: 'user', content: input.question }];
}

/** The most recent turns that fit `maxTokens` (4 characters a token), oldest first. */
export function trimHistory(history: PromptInput['history'], maxTokens: number): LlmMessage[] {
  const kept: LlmMessage[] = [];
  let used = 0;
  for (let i = history.length - 1; i >= 0; i--) {
    const { role, content } = history[i]!;
    if ((role !== 'user' && role !== 'assistant') || !content.trim()) continue;
    used += estimateTokens(content);
    if (used > maxTokens) break;
    kept.push({ role, content });
  }
  return kept.reverse();
}

/** Escapes text for the data blocks: `&`, `<`, `>` (and `"` in attributes), so no text can open or close an element. */
export function escapeData(text: string, attribute = false): string {
  // Control characters other than tab and newline carry nothing a reader needs and can hide text.
  const clean = text.replace(/[\u0000-\u0008\u000b-\u001f\u007f\u2028\u2029]/g, ' ');
  const escaped = clean.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  return attribute ? escaped.replaceAll('"', '&quot;') : escaped;
}

function passageElement(p: PromptPassage): string {
  const url = p.url ? ` url="${escapeData(oneLine(p.url), true)}"` : '';
  return `<passage n="${Math.trunc(p.n)}" title="${escapeData(oneLine(p.title), true)}"${url}>\n${escapeData(p.text.trim())}\n</passage>`;
}

function personaBlock(persona: string | null | undefined): string[] {
  const text = persona?.trim().slice(0, personaMaxChars).trim();
  if (!text) return [];
  return ['', personaIntro, '<style_notes>', escapeData(text), '</style_notes>'];
}

function languageRule(code: string | null | undefined): string {
  const name = code && /^[a-z]{2}(-[A-Za-z]{2})?$/.test(code) ? languageName(code) : null;
  return name ? languageRules.known.replace('{name}', name) : languageRules.unknown;
}

// Built once: constructing Intl.DisplayNames costs more than the rest of a prompt; each name is looked up once too.
let displayNames: Intl.DisplayNames | undefined;
const languageNames = new Map<string, string | null>();

function languageName(code: string): string | null {
  const key = code.slice(0, 2);
  let name = languageNames.get(key);
  if (name === undefined) {
    try {
      displayNames ??= new Intl.DisplayNames(['en'], { type: 'language' });
      const found = displayNames.of(key);
      name = found && found !== key ? found : null;
    } catch {
      name = null;
    }
    languageNames.set(key, name); // at most 26 × 26 keys: the code matched /^[a-z]{2}/
  }
  return name;
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

/** Filters an answer stream: holds back what could be the start of the canary, and refuses once the answer leaks. */
export interface CanaryFilter {
  /** Takes the next piece of the answer; returns the text that is safe to send now (maybe empty). */
  push(text: string): string;
  /** The answer ended: returns what was held back. */
  end(): string;
  /** True once the canary or the instructions appeared; the rest of the answer is dropped (stop the model). */
  readonly tripped: boolean;
}

/** Options for `createCanaryFilter`. */
export interface CanaryFilterOptions {
  /** The refusal's language (en, fi, sv, de, fr, es; English otherwise). */
  language?: string | null;
  /** Text whose verbatim slices count as a leak (default: the fixed wording of the system prompt). */
  protectedText?: readonly string[];
  /** Shortest verbatim slice that counts (default 40 characters, whitespace and case ignored). */
  minSliceChars?: number;
}

/**
 * A streaming output filter against system-prompt leaks. It holds back only the longest tail of
 * the answer that could be the start of `canary` (so a canary split across tokens is caught), and
 * when the canary or a verbatim slice of the instructions (≥ 40 characters) appears, it replaces
 * the rest of the answer with a refusal.
 */
export function createCanaryFilter(canary: string, opts: CanaryFilterOptions = {}): CanaryFilter {
  if (!canary) throw new RangeError('canary must not be empty');
  const refusal = refusals[(opts.language ?? 'en').slice(0, 2)] ?? refusals.en;
  const minSlice = opts.minSliceChars ?? 40;
  const slices = opts.protectedText ? sliceSet(opts.protectedText, minSlice) : defaultSlices(minSlice);
  const hashes = sliceHashes(slices);
  const needle = canary.toLowerCase();
  let pending = '';
  // The last `minSlice` code units of the normalized answer (whitespace runs as one space,
  // lower case), as a ring and a rolling hash: a slice is looked up only when the hash matches.
  const ring = new Uint16Array(minSlice);
  let filled = 0;
  let at = 0;
  let hash = 0;
  const dropFactor = rollPower(minSlice);
  let lastSpace = true; // nothing yet: leading whitespace is skipped
  let emitted = false;
  let tripped = false;

  const trip = (): string => {
    tripped = true;
    pending = '';
    return `${emitted ? '\n\n' : ''}${refusal}`;
  };
  /** Adds one normalized code unit; true when the last `minSlice` of them are a protected slice. */
  const add = (unit: number): boolean => {
    if (filled === minSlice) hash = (hash - Math.imul(ring[at]!, dropFactor)) | 0;
    else filled++;
    ring[at] = unit;
    at = (at + 1) % minSlice;
    hash = (Math.imul(hash, rollBase) + unit) | 0;
    if (filled < minSlice || !hashes.has(hash)) return false;
    let tail = '';
    for (let i = 0; i < minSlice; i++) tail += String.fromCharCode(ring[(at + i) % minSlice]!);
    return slices.has(tail);
  };

  return {
    push(text) {
      if (tripped) return '';
      for (let i = 0; i < text.length; i++) {
        const code = text.charCodeAt(i);
        if (code < 128) {
          if (code === 32 || (code >= 9 && code <= 13)) {
            if (lastSpace) continue;
            lastSpace = true;
            if (add(32)) return trip();
            continue;
          }
          lastSpace = false;
          if (add(code >= 65 && code <= 90 ? code + 32 : code)) return trip();
          continue;
        }
        // Beyond ASCII: one code point at a time, as the protected text was normalized.
        const c = String.fromCodePoint(text.codePointAt(i)!);
        if (c.length === 2) i++;
        if (/\s/.test(c)) {
          if (lastSpace) continue;
          lastSpace = true;
          if (add(32)) return trip();
          continue;
        }
        lastSpace = false;
        const lower = c.toLowerCase();
        for (let j = 0; j < lower.length; j++) if (add(lower.charCodeAt(j))) return trip();
      }
      pending += text;
      if (pending.toLowerCase().includes(needle)) return trip();
      const hold = heldBack(pending, needle);
      const out = pending.slice(0, pending.length - hold);
      pending = pending.slice(pending.length - hold);
      if (out) emitted = true;
      return out;
    },
    end() {
      if (tripped) return '';
      const out = pending;
      pending = '';
      return out;
    },
    get tripped() {
      return tripped;
    },
  };
}

/** Length of the longest tail of `text` that is a proper prefix of `needle` (case-insensitive). */
function heldBack(text: string, needle: string): number {
  const first = needle.charCodeAt(0);
  for (let k = Math.min(needle.length - 1, text.length); k > 0; k--) {
    // Most tails cannot start the needle: an ASCII first character that lowers to something else is skipped unsliced.
    const c = text.charCodeAt(text.length - k);
    if (c < 128 && (c >= 65 && c <= 90 ? c + 32 : c) !== first) continue;
    if (text.slice(-k).toLowerCase() === needle.slice(0, k)) return k;
  }
  return 0;
}

// Polynomial rolling hash over UTF-16 code units, modulo 2^32.
const rollBase = 0x01000193;
/** rollBase^(n-1): the weight of the unit that leaves a window of n. */
function rollPower(n: number): number {
  let p = 1;
  for (let i = 1; i < n; i++) p = Math.imul(p, rollBase);
  return p;
}
function rollHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, rollBase) + s.charCodeAt(i)) | 0;
  return h;
}
const cachedHashes = new WeakMap<Set<string>, Set<number>>();
function sliceHashes(slices: Set<string>): Set<number> {
  let set = cachedHashes.get(slices);
  if (!set) cachedHashes.set(slices, (set = new Set([...slices].map(rollHash))));
  return set;
}

const normalize = (s: string) => s.replace(/\s+/g, ' ').toLowerCase();

function sliceSet(texts: readonly string[], size: number): Set<string> {
  const set = new Set<string>();
  for (const t of texts.map(normalize)) for (let i = 0; i + size <= t.length; i++) set.add(t.slice(i, i + size));
  return set;
}

const cachedSlices = new Map<number, Set<string>>();
function defaultSlices(size: number): Set<string> {
  let set = cachedSlices.get(size);
  if (!set) cachedSlices.set(size, (set = sliceSet(instructionPieces, size)));
  return set;
}
