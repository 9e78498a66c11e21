import { describe, expect, it } from 'vitest';
import { cosineSimilarity } from '../../platform/embeddings/embedder.ts';
import { createLocalEmbedder } from '../../platform/embeddings/local.ts';
import { calibrationFor, confidenceFrom, localEmbedderCalibration, lowConfidence, providerEmbedderCalibration, type ConfidenceHit } from './confidence.ts';

const hit = (similarity: number | null, vectorRank: number | null, textRank: number | null): ConfidenceHit => ({ score: 0, similarity, vectorRank, textRank });

describe('confidenceFrom', () => {
  it('is 0 without hits and 1 for a clear match both legs agree on', () => {
    expect(confidenceFrom([])).toBe(0);
    expect(confidenceFrom([hit(0.8, 1, 1), hit(0.6, 2, 2), hit(0.5, 3, 3)])).toBe(1);
  });

  it('follows the documented formula', () => {
    // similarity 0.275 is halfway between floor 0.1 and ceiling 0.45; top hit by both legs; 2 of the top 3 by both.
    expect(confidenceFrom([hit(0.275, 1, 2), hit(0.2, 2, null), hit(null, null, 1)])).toBeCloseTo(0.6 * 0.5 + 0.25 + 0.15 * (1 / 3), 10);
    expect(confidenceFrom([hit(0.275, 1, null)])).toBeCloseTo(0.3, 10);
  });

  it('rises with similarity and with agreement of the two legs', () => {
    const bySimilarity = [0, 0.1, 0.2, 0.3, 0.4, 0.5].map((s) => confidenceFrom([hit(s, 1, null)]));
    expect([...bySimilarity].sort((a, b) => a - b)).toEqual(bySimilarity);
    expect(confidenceFrom([hit(0.3, 1, 1)])).toBeGreaterThan(confidenceFrom([hit(0.3, 1, null)]));
    expect(confidenceFrom([hit(0.3, 1, 1), hit(0.2, 2, 2)])).toBeGreaterThan(confidenceFrom([hit(0.3, 1, 1), hit(0.2, 2, null)]));
  });

  it('looks only at the top 3 hits and stays in [0, 1] for any input', () => {
    expect(confidenceFrom([hit(0, 1, null), hit(0, 2, null), hit(0, 3, null), hit(0.9, 4, 1)])).toBe(0);
    for (const s of [-1, -0.2, 0, 0.5, 1, 2, Number.NaN]) {
      const c = confidenceFrom([hit(s, 1, 1), hit(null, null, 2), hit(s, 3, null)]);
      expect(c).toBeGreaterThanOrEqual(0);
      expect(c).toBeLessThanOrEqual(1);
    }
  });

  it('scores a full-text-only match by agreement alone', () => {
    expect(confidenceFrom([hit(null, null, 1), hit(null, null, 2)])).toBe(0);
  });

  it('picks the calibration by embedder model', () => {
    expect(calibrationFor('cloop-local-hash-v1')).toBe(localEmbedderCalibration);
    expect(calibrationFor('cloop-local-hash-v1:d256')).toBe(localEmbedderCalibration);
    expect(calibrationFor('Qwen/Qwen3-Embedding-8B')).toBe(providerEmbedderCalibration);
  });
});

// A tiny help centre searched the way hybrid retrieval does: every chunk is a vector candidate
// (small sites get an exact scan), full-text matches any content word, ranks fused by RRF (k = 60).
const helpCentre = [
  'Reset your password: open Settings, choose Security and click "Reset password". We email you a link that is valid for one hour.',
  'Delete your account: go to Settings > Account and choose "Delete account". Your data is removed within 30 days.',
  'Pricing: the Pro plan costs 12 euros per user per month, billed yearly. The Business plan adds single sign-on.',
  'Shipping and delivery: orders ship within two business days. Delivery to Finland and Sweden takes 3 to 5 days.',
  'Refunds: you can return a product within 30 days of delivery for a full refund.',
  'Install the browser extension from the Chrome Web Store and sign in with your account.',
];

const stop = new Set('the and for you your our are can how what who whats does with from this that much long take takes tell into get in to do i a me my of on is it'.split(' '));
const words = (text: string) => (text.toLowerCase().match(/\p{L}+/gu) ?? []).filter((w) => w.length > 2 && !stop.has(w));
const sameStem = (a: string, b: string) => a === b || (a.length >= 5 && b.length >= 5 && a.slice(0, 5) === b.slice(0, 5));

async function search(question: string): Promise<ConfidenceHit[]> {
  const embedder = createLocalEmbedder();
  const { vectors } = await embedder.embed([question, ...helpCentre], { purpose: 'document' });
  const q = vectors[0]!;
  const byVector = helpCentre.map((_, i) => ({ i, similarity: cosineSimilarity(q, vectors[i + 1]!) })).sort((a, b) => b.similarity - a.similarity);
  const asked = words(question);
  const byText = helpCentre
    .map((text, i) => ({ i, matched: asked.filter((w) => words(text).some((t) => sameStem(w, t))).length }))
    .filter((t) => t.matched > 0)
    .sort((a, b) => b.matched - a.matched || a.i - b.i);
  const hits = helpCentre.map((): ConfidenceHit => ({ score: 0, similarity: null, vectorRank: null, textRank: null }));
  byVector.forEach(({ i, similarity }, rank) => Object.assign(hits[i]!, { similarity, vectorRank: rank + 1, score: hits[i]!.score + 1 / (61 + rank) }));
  byText.forEach(({ i }, rank) => Object.assign(hits[i]!, { textRank: rank + 1, score: hits[i]!.score + 1 / (61 + rank) }));
  return hits.filter((h) => h.vectorRank !== null || h.textRank !== null).sort((a, b) => b.score - a.score);
}

describe('lowConfidence with the local embedder', () => {
  it.each([
    "What's the weather in Paris?",
    'Who won the football world cup?',
    'Tell me a joke',
    'What is the capital of France?',
    'Recommend a good pizza place nearby',
  ])('an unrelated question scores below it: %s', async (question) => {
    const confidence = confidenceFrom(await search(question));
    console.log(`confidence ${confidence.toFixed(3)} for unrelated "${question}"`);
    expect(confidence).toBeLessThan(lowConfidence);
  });

  it.each([
    'How do I reset my password?',
    'How much does the Pro plan cost?',
    'How long does delivery to Sweden take?',
    'How can I delete my account?',
    'Can I return a product for a refund?',
    'How do I install the browser extension?',
  ])('a direct question scores above it: %s', async (question) => {
    const confidence = confidenceFrom(await search(question));
    console.log(`confidence ${confidence.toFixed(3)} for direct "${question}"`);
    expect(confidence).toBeGreaterThan(lowConfidence);
  });
});
