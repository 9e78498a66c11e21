/** What confidence needs of a retrieval hit (a `SearchHit` has all of it). */
export interface ConfidenceHit {
  /** Reciprocal-rank-fusion score; hits arrive sorted by it, best first. */
  score: number;
  /** Cosine similarity to the question when the vector leg found the hit. */
  similarity: number | null;
  vectorRank: number | null;
  textRank: number | null;
}

/** Where an embedder's cosine similarities sit: at `floor` a match means nothing, from `ceiling` it is a clear match. */
export interface SimilarityCalibration {
  floor: number;
  ceiling: number;
}

/**
 * The built-in lexical embedder (`cloop-local-hash-v1`): unrelated help-centre questions score
 * about −0.1…0.15 against pages, direct questions 0.35…0.6 (measured in confidence.test.ts).
 */
export const localEmbedderCalibration: SimilarityCalibration = { floor: 0.1, ceiling: 0.45 };

/**
 * A starting point for semantic provider models, whose unrelated texts already score 0.2…0.4.
 * Not measured here: tune it on the provider's model with the same test before relying on it.
 */
export const providerEmbedderCalibration: SimilarityCalibration = { floor: 0.35, ceiling: 0.7 };

/** The calibration for the embedder that produced the similarities, by its model name. */
export function calibrationFor(embedderModel: string): SimilarityCalibration {
  return embedderModel.startsWith('cloop-local-hash') ? localEmbedderCalibration : providerEmbedderCalibration;
}

/** Below this, an answer is treated as not found in the content (the question becomes a content gap). */
export const lowConfidence = 0.35;

const W_SIMILARITY = 0.6;
const W_TOP_BOTH = 0.25;
const W_AGREEMENT = 0.15;

/**
 * How sure retrieval is that the site's content answers the question, in [0, 1]:
 *
 *   0.60 · clamp((s − floor) / (ceiling − floor))   s = best vector similarity among the top 3 hits
 * + 0.25 · [the top hit was found by both the vector and the full-text leg]
 * + 0.15 · (share of the top 3 hits found by both legs)
 *
 * Similarity carries most of the weight; agreement of the two independent legs confirms it (an
 * unrelated question rarely shares content words with the best pages). No hits → 0.
 */
export function confidenceFrom(hits: readonly ConfidenceHit[], calibration: SimilarityCalibration = localEmbedderCalibration): number {
  const top = hits.slice(0, 3);
  if (!top.length) return 0;
  const similarities = top.map((h) => h.similarity).filter((s): s is number => s !== null && Number.isFinite(s));
  const best = similarities.length ? Math.max(...similarities) : calibration.floor;
  const similarity = clamp((best - calibration.floor) / (calibration.ceiling - calibration.floor));
  const both = (h: ConfidenceHit) => h.vectorRank !== null && h.textRank !== null;
  const topBoth = both(top[0]!) ? 1 : 0;
  const agreement = top.filter(both).length / 3;
  return clamp(W_SIMILARITY * similarity + W_TOP_BOTH * topBoth + W_AGREEMENT * agreement);
}

const clamp = (x: number) => Math.min(1, Math.max(0, x));
