/** What one `embed` call consumed: provider tokens, their price, and the model that produced the vectors. */
export interface EmbedUsage {
  inputTokens: number;
  costUsd: number;
  model: string;
}

/** Whether the texts are stored chunks or a visitor's question (some models embed the two differently). */
export type EmbedPurpose = 'document' | 'query';

/** Options for one `embed` call. */
export interface EmbedOptions {
  purpose: EmbedPurpose;
  signal?: AbortSignal;
}

/**
 * Turns texts into fixed-length vectors for pgvector.
 * Two homes: the built-in lexical sketch (`local.ts`, no download, the embedded default) and any
 * OpenAI-compatible `/embeddings` endpoint (`openai.ts`). Vectors of different `model`s are not
 * comparable: stored chunks carry the model name, and a change of model means re-embedding.
 */
export interface Embedder {
  /** Stable name of what produced the vectors (stored beside each chunk's vector). */
  readonly model: string;
  /** Length of every vector this embedder returns. */
  readonly dimension: number;
  /** One vector per text, in input order; throws AppError `embedding_failed` when the provider fails. */
  embed(texts: string[], opts?: EmbedOptions): Promise<{ vectors: number[][]; usage: EmbedUsage }>;
}

/** Cosine similarity of two vectors of equal length (1 = same direction); 0 when either is all zeros. */
export function cosineSimilarity(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new RangeError(`vector lengths differ: ${a.length} vs ${b.length}`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
