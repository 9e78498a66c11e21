import type { EmbedOptions, Embedder, EmbedUsage } from './embedder.ts';
import { createFeaturizer, tokenize, type FeatureBlock, type Featurizer, type LanguageFeatures, type WordFeatures } from './features.ts';
import { embedderLanguages, type EmbedderLanguage } from './lexicon.ts';

/** Settings for `createLocalEmbedder`. */
export interface LocalEmbedderOptions {
  /** Vector length (default 384). */
  dimension?: number;
  /** Snowball languages to stem in and take stop words from (default: all six of `embedderLanguages`). */
  languages?: string[];
}

const MODEL = 'cloop-local-hash-v1';
/** Hand the event loop back after this much work, so a big batch does not stall HTTP requests. */
const SLICE_MS = 10;

/**
 * The built-in embedder: a deterministic lexical sketch, no download, no network.
 *
 * What it is: signed feature hashing of lowercase words, their Snowball stems (in the configured
 * languages a text's stop words point to; in all of them for short texts such as questions), word bigrams, character 3–5-grams of each word (with boundary markers, so typos,
 * inflections such as Finnish cases and German compounds still overlap), and one shared feature per
 * synonym group of a small hand-written help-centre table (`lexicon.ts`). Sublinear term frequency
 * (1 + ln tf), no IDF, stop words down-weighted, L2-normalized. Cosine similarity therefore measures
 * word overlap, shared morphology and those few synonyms.
 *
 * What it is not: a semantic model. It does not know that "cheap" is near "inexpensive" unless the
 * table says so, cannot bridge languages beyond the table, and scores unrelated texts that share
 * many words as similar. Full-text search covers the same ground; the point is a working vector
 * leg with zero setup. Purpose ('query' | 'document') makes no difference here.
 */
export function createLocalEmbedder(opts: LocalEmbedderOptions = {}): Embedder {
  const dimension = opts.dimension ?? 384;
  if (!Number.isInteger(dimension) || dimension < 16 || dimension > 16_000) throw new RangeError(`dimension must be an integer in 16..16000, got ${dimension}`);
  const languages = resolveLanguages(opts.languages);
  // Vectors made with other settings are not comparable, so the settings are part of the name.
  const variant = [languages.length === embedderLanguages.length ? '' : languages.join('+'), dimension === 384 ? '' : `d${dimension}`].filter(Boolean);
  const model = variant.length ? `${MODEL}:${variant.join(':')}` : MODEL;
  const featurizer = createFeaturizer(dimension, languages);

  return {
    model,
    dimension,
    async embed(texts: string[], options?: EmbedOptions): Promise<{ vectors: number[][]; usage: EmbedUsage }> {
      const signal = options?.signal;
      const vectors: number[][] = [];
      let inputTokens = 0;
      let sliceStart = performance.now();
      for (const text of texts) {
        signal?.throwIfAborted();
        const { vector, tokens } = embedOne(featurizer, dimension, text);
        vectors.push(vector);
        inputTokens += tokens;
        if (performance.now() - sliceStart > SLICE_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          sliceStart = performance.now();
        }
      }
      signal?.throwIfAborted();
      return { vectors, usage: { inputTokens, costUsd: 0, model } };
    },
  };
}

function resolveLanguages(requested: string[] | undefined): EmbedderLanguage[] {
  if (requested === undefined) return [...embedderLanguages];
  const wanted = new Set(requested.map((l) => l.trim().toLowerCase()));
  const unknown = [...wanted].filter((l) => !(embedderLanguages as readonly string[]).includes(l));
  if (unknown.length || wanted.size === 0) throw new RangeError(`languages must be some of ${embedderLanguages.join(', ')}; got ${requested.join(', ') || 'none'}`);
  // Canonical order, so the model name does not depend on how the list was written.
  return embedderLanguages.filter((l) => wanted.has(l));
}

/** Sublinear TF without a second pass: the c-th occurrence adds ln(c / (c - 1)), so c occurrences sum to 1 + ln c. */
function tfStep(counts: Map<string | number, number>, key: string | number): number {
  const c = (counts.get(key) ?? 0) + 1;
  counts.set(key, c);
  return c === 1 ? 1 : Math.log(c / (c - 1));
}

function embedOne(featurizer: Featurizer, dimension: number, text: string): { vector: number[]; tokens: number } {
  const vec = new Float64Array(dimension);
  const tokens = tokenize(text);
  const mask = featurizer.detect(tokens);
  const feats: WordFeatures[] = new Array(tokens.length);
  const langs: LanguageFeatures[] = new Array(tokens.length);
  const counts = new Map<string | number, number>();
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const f = (feats[i] = featurizer.word(token));
    const v = (langs[i] = featurizer.inLanguages(f, token, mask));
    const scale = tfStep(counts, token);
    add(vec, f.base, scale);
    add(vec, v.extra, scale);
  }
  for (let i = 0; i < tokens.length; i++) {
    const f = feats[i]!;
    if (i + 1 < tokens.length) {
      const next = feats[i + 1]!;
      const h = featurizer.bigram(f, next);
      featurizer.addBigram(vec, h, f, next, tfStep(counts, h));
    }
    if (langs[i]!.phraseStart) {
      const concept = featurizer.phraseAt(tokens, feats, i, mask);
      if (concept !== undefined) featurizer.addConcept(vec, concept, tfStep(counts, `\u0000${concept}`));
    }
  }
  let norm = 0;
  for (let i = 0; i < dimension; i++) norm += vec[i]! * vec[i]!;
  if (norm === 0) {
    featurizer.addEmpty(vec);
    for (let i = 0; i < dimension; i++) norm += vec[i]! * vec[i]!;
  }
  const inv = 1 / Math.sqrt(norm);
  const out = new Array<number>(dimension);
  for (let i = 0; i < dimension; i++) out[i] = vec[i]! * inv;
  return { vector: out, tokens: tokens.length };
}

function add(vec: Float64Array, block: FeatureBlock, scale: number): void {
  const { slots, weights } = block;
  for (let k = 0; k < slots.length; k++) vec[slots[k]!]! += weights[k]! * scale;
}
