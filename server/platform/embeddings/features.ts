import { newStemmer } from 'snowball-stemmers';
import { stopWords, synonymGroups, type EmbedderLanguage } from './lexicon.ts';

// Relative weights of the feature families (tuned on the examples in embeddings.test.ts and on a
// help-centre question set); each family's total weight per word is about its number here.
const W_WORD = 1.0;
const W_STEM = 1.0;
const W_GRAMS = 0.9;
const W_CONCEPT = 1.0;
const W_BIGRAM = 1.0;
/** Stop words keep this share of their weight and get no stems, n-grams or synonyms. */
const STOP_FACTOR = 0.2;
const MAX_GRAM_WORD = 48;
/** Words longer than this get proportionally more n-gram weight. */
const LONG_WORD = 10;
/** Texts shorter than this (typically questions) are stemmed in every language; longer ones in the detected ones. */
const DETECT_MIN_TOKENS = 12;

// Hash namespaces. A stem shares the word namespace on purpose: "tili" the word = "tili" the stem of "tilit".
const NS_WORD = 0x1b873593;
const NS_GRAM = 0x2f1d4c8b;
const NS_CONCEPT = 0x5c4b6a1d;
const NS_BIGRAM = 0x68e31da4;
const NS_SIGN = 0x3c6ef372;

/** Unicode letters/digits (with combining marks): "Lösenord", "tilin", "ß", "2FA" are each one token. */
const TOKEN = /[\p{L}\p{N}][\p{L}\p{N}\p{M}]*/gu;

/** Hashed features as parallel arrays: bucket and signed weight. */
export interface FeatureBlock {
  slots: Int32Array;
  weights: Float32Array;
}

/** Everything known about one distinct word; computed once, cached, extended lazily per language. */
export interface WordFeatures {
  /** Word, n-grams and an exact-match synonym concept: the same in every language. */
  base: FeatureBlock;
  /** Hash of the word itself (for bigrams). */
  hash: number;
  /** 1 for content words, `STOP_FACTOR` for stop words. */
  factor: number;
  /** Stop words and numbers get no stems and no synonyms. */
  content: boolean;
  /** Stem per configured language, filled on first use. */
  stems: (string | undefined)[];
  /** The language-dependent part per language set already seen (usually one or two). */
  variants: LanguageFeatures[];
}

/** The part of a word's features that depends on the languages a text is stemmed in. */
export interface LanguageFeatures {
  /** Bit i set = stemmed in `languages[i]`. */
  mask: number;
  /** Stems and a stem-matched synonym concept. */
  extra: FeatureBlock;
  /** Whether a synonym phrase may start at this word. */
  phraseStart: boolean;
}

const empty: FeatureBlock = { slots: new Int32Array(0), weights: new Float32Array(0) };

/** Murmur3's 32-bit finalizer: spreads FNV-1a's weak low bits over all 32. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over the UTF-16 code units of `s` (or of `s[start..end)`), seeded by namespace, then finalized. */
function hashString(s: string, ns: number, start = 0, end = s.length): number {
  let h = (0x811c9dc5 ^ ns) >>> 0;
  for (let i = start; i < end; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** Splits text into lowercase word tokens (NFKC first, so ligatures and full-width letters fold). */
export function tokenize(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().match(TOKEN) ?? [];
}

/** Builds and caches word features for one embedder configuration (dimension and languages). */
export function createFeaturizer(dimension: number, languages: readonly EmbedderLanguage[], cacheSize = 50_000) {
  const stemmers = languages.map((l) => newStemmer(l));
  const stops = stopWords(languages);
  // Stop words of exactly one configured language identify it ("the" → English, "och" → Swedish).
  const marker = new Map<string, number>();
  const seen = new Map<string, number>();
  languages.forEach((l) => stopWords([l]).forEach((w) => seen.set(w, (seen.get(w) ?? 0) + 1)));
  languages.forEach((l, li) => stopWords([l]).forEach((w) => seen.get(w) === 1 && marker.set(w, li)));
  const allLanguages = (1 << languages.length) - 1;
  const cache = new Map<string, WordFeatures>();

  // Synonyms: exact word or phrase → concept, and "<language index>|<stem…>" → concept for the term's own language.
  const conceptOf = new Map<string, string>();
  const phraseFirst = new Set<string>();
  for (const group of synonymGroups) {
    for (const [lang, terms] of Object.entries(group.terms) as [EmbedderLanguage, string[]][]) {
      const li = languages.indexOf(lang);
      for (const term of terms) {
        const words = term.split(' ');
        conceptOf.set(term, group.concept);
        if (words.length > 1) phraseFirst.add(words[0]!);
        if (li < 0) continue;
        const stems = words.map((w) => stemmers[li]!.stem(w));
        conceptOf.set(`${li}|${stems.join(' ')}`, group.concept);
        if (words.length > 1) phraseFirst.add(`${li}|${stems[0]}`);
      }
    }
  }

  const slot = (h: number) => h % dimension;
  const sign = (h: number) => (fmix32(h ^ NS_SIGN) & 1 ? -1 : 1);

  function block(hashes: number[], weights: number[]): FeatureBlock {
    return { slots: Int32Array.from(hashes, slot), weights: Float32Array.from(weights, (w, i) => sign(hashes[i]!) * w) };
  }

  function build(word: string): WordFeatures {
    const hash = hashString(word, NS_WORD);
    const stop = stops.has(word) || (word.length === 1 && !/\p{N}/u.test(word));
    const content = !stop && !/^\p{N}+$/u.test(word);
    const factor = stop ? STOP_FACTOR : 1;
    const hashes = [hash];
    const weights = [W_WORD * factor];
    if (content) {
      const marked = `<${word.length > MAX_GRAM_WORD ? word.slice(0, MAX_GRAM_WORD) : word}>`;
      const grams: number[] = [];
      for (let n = 3; n <= 5; n++) for (let i = 0; i + n <= marked.length; i++) grams.push(hashString(marked, NS_GRAM, i, i + n));
      // Long words (compounds like "Passwortzurücksetzung") lean more on their parts.
      const gramWeight = (W_GRAMS * Math.max(1, word.length / LONG_WORD)) / Math.sqrt(grams.length);
      for (const g of grams) {
        hashes.push(g);
        weights.push(gramWeight);
      }
      const concept = conceptOf.get(word);
      if (concept !== undefined) {
        hashes.push(hashString(concept, NS_CONCEPT));
        weights.push(W_CONCEPT);
      }
    }
    return { base: block(hashes, weights), hash, factor, content, stems: [], variants: [] };
  }

  function stemOf(f: WordFeatures, word: string, li: number): string {
    return (f.stems[li] ??= f.content ? stemmers[li]!.stem(word) : word);
  }

  /** The cached features of one lowercase token. */
  function word(token: string): WordFeatures {
    let f = cache.get(token);
    if (!f) {
      f = build(token);
      if (cache.size >= cacheSize) {
        let drop = cacheSize >> 2;
        for (const key of cache.keys()) {
          if (drop-- <= 0) break;
          cache.delete(key);
        }
      }
      cache.set(token, f);
    }
    return f;
  }

  /** The stems (and stem-matched synonym) of word `f` = `token` in the language set `mask`, cached. */
  function inLanguages(f: WordFeatures, token: string, mask: number): LanguageFeatures {
    for (const v of f.variants) if (v.mask === mask) return v;
    const v = buildVariant(f, token, mask);
    f.variants.push(v);
    return v;
  }

  function buildVariant(f: WordFeatures, token: string, mask: number): LanguageFeatures {
    let phraseStart = phraseFirst.has(token);
    if (!f.content) return { mask, extra: empty, phraseStart };
    const stems = new Set<string>();
    const exact = conceptOf.has(token); // an exact match is already in `base`
    let stemConcept: string | undefined;
    for (let li = 0; li < languages.length; li++) {
      if (!(mask & (1 << li))) continue;
      const s = stemOf(f, token, li);
      if (s !== token) stems.add(s);
      stemConcept ??= conceptOf.get(`${li}|${s}`);
      if (!phraseStart && phraseFirst.has(`${li}|${s}`)) phraseStart = true;
    }
    const hashes: number[] = [];
    const weights: number[] = [];
    for (const s of stems) {
      hashes.push(hashString(s, NS_WORD));
      weights.push(W_STEM / Math.sqrt(stems.size));
    }
    if (!exact && stemConcept !== undefined) {
      hashes.push(hashString(stemConcept, NS_CONCEPT));
      weights.push(W_CONCEPT);
    }
    return { mask, extra: hashes.length ? block(hashes, weights) : empty, phraseStart };
  }

  /** Which configured languages to stem a text in (bit i = `languages[i]`), judged by stop-word counts. */
  function detect(tokens: readonly string[]): number {
    if (tokens.length < DETECT_MIN_TOKENS || languages.length === 1) return allLanguages;
    const hits = languages.map(() => 0);
    for (const t of tokens) {
      const li = marker.get(t);
      if (li !== undefined) hits[li]!++;
    }
    const best = Math.max(...hits);
    if (best < 3) return allLanguages;
    let mask = 0;
    for (let li = 0; li < languages.length; li++) if (hits[li]! * 2 >= best) mask |= 1 << li;
    return mask;
  }

  /** Hash of the bigram of two adjacent words (order matters). */
  function bigram(a: WordFeatures, b: WordFeatures): number {
    return fmix32(Math.imul(a.hash, 0x9e3779b1) ^ b.hash ^ NS_BIGRAM);
  }

  /** Adds bigram `h` of words `a`, `b` to `vec` with weight `scale`. */
  function addBigram(vec: Float64Array, h: number, a: WordFeatures, b: WordFeatures, scale: number): void {
    vec[slot(h)]! += sign(h) * W_BIGRAM * Math.min(a.factor, b.factor) * scale;
  }

  /** The concept of a synonym phrase starting at `i` (2–3 words, exact or by stems in `mask`), if any. */
  function phraseAt(tokens: readonly string[], feats: readonly WordFeatures[], i: number, mask: number): string | undefined {
    let exact = tokens[i]!;
    for (let len = 2; len <= 3 && i + len <= tokens.length; len++) {
      exact += ` ${tokens[i + len - 1]}`;
      const concept = conceptOf.get(exact);
      if (concept !== undefined) return concept;
      for (let li = 0; li < languages.length; li++) {
        if (!(mask & (1 << li))) continue;
        let key = `${li}|${stemOf(feats[i]!, tokens[i]!, li)}`;
        for (let k = 1; k < len; k++) key += ` ${stemOf(feats[i + k]!, tokens[i + k]!, li)}`;
        const byStem = conceptOf.get(key);
        if (byStem !== undefined) return byStem;
      }
    }
    return undefined;
  }

  /** Adds a concept feature (from a phrase) to `vec` with weight `scale`. */
  function addConcept(vec: Float64Array, concept: string, scale: number): void {
    const h = hashString(concept, NS_CONCEPT);
    vec[slot(h)]! += sign(h) * W_CONCEPT * scale;
  }

  /** Adds a marker feature so a text without any words still gets a unit vector. */
  function addEmpty(vec: Float64Array): void {
    const h = hashString('\u2205', NS_WORD);
    vec[slot(h)]! += sign(h);
  }

  return { word, inLanguages, detect, bigram, addBigram, phraseAt, addConcept, addEmpty };
}

/** What `createFeaturizer` returns. */
export type Featurizer = ReturnType<typeof createFeaturizer>;
