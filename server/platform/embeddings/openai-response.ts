import type { ProviderFailure } from '../provider-response.ts';

/** Why an embeddings call failed, as it appears in the error's `details.reason`. */
export type EmbeddingFailure = ProviderFailure | 'dimension_mismatch';

type Parsed = { ok: true; vectors: number[][]; tokens: number } | { ok: false; status: number; reason: EmbeddingFailure; retry: false };

/**
 * Validates an OpenAI `/embeddings` response body for `input`: one item per input, indexes a
 * permutation of 0..n-1 (or all absent: list order), vectors of finite numbers of `dimension`
 * (or longer when `truncate`: cut and re-normalized). Tokens come from `usage.prompt_tokens`
 * (or `total_tokens`), else are estimated at 4 characters each.
 */
export function parseEmbeddingResponse(text: string, input: readonly string[], opts: { dimension: number; truncate: boolean }): Parsed {
  const invalid = (reason: EmbeddingFailure = 'invalid_response'): Parsed => ({ ok: false, status: 200, reason, retry: false });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return invalid();
  }
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data) || data.length !== input.length) return invalid();
  const vectors: number[][] = new Array(input.length);
  const indexed = data.every((d) => Number.isInteger((d as { index?: unknown })?.index));
  if (!indexed && data.some((d) => (d as { index?: unknown })?.index !== undefined)) return invalid();
  for (let i = 0; i < data.length; i++) {
    const item = data[i] as { index?: number; embedding?: unknown };
    const at = indexed ? item.index! : i;
    if (at < 0 || at >= input.length || vectors[at] !== undefined) return invalid();
    const e = item.embedding;
    if (!Array.isArray(e) || !e.every((x) => typeof x === 'number' && Number.isFinite(x))) return invalid();
    if (e.length === opts.dimension) vectors[at] = e as number[];
    else if (opts.truncate && e.length > opts.dimension) vectors[at] = renormalize((e as number[]).slice(0, opts.dimension));
    else return invalid('dimension_mismatch');
  }
  const usage = (body as { usage?: { prompt_tokens?: unknown; total_tokens?: unknown } }).usage;
  const reported = [usage?.prompt_tokens, usage?.total_tokens].find((t): t is number => typeof t === 'number' && Number.isFinite(t) && t >= 0);
  const tokens = reported ?? input.reduce((sum, t) => sum + Math.ceil(t.length / 4), 0);
  return { ok: true, vectors, tokens };
}

function renormalize(v: number[]): number[] {
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return norm === 0 ? v : v.map((x) => x / norm);
}
