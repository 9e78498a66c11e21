import { cosineSimilarity, type Embedder } from '../platform/embeddings/embedder.ts';
import { createLocalEmbedder } from '../platform/embeddings/local.ts';

/** A wording of a visitor question with how often it was asked and the answers' average confidence. */
export interface AskedQuestion {
  question: string;
  count: number;
  confidence: number | null;
}

/** Wordings that mean the same thing: the most asked one, the total, and the others (most asked first). */
export interface QuestionGroup extends AskedQuestion {
  variants: string[];
}

/**
 * Cosine similarity at which two wordings count as one question. Measured with the built-in lexical
 * embedder: paraphrases of one question score 0.45–0.91 ("reset password" / "password reset not
 * working" 0.71, "do you ship to canada?" / "how much is shipping to Canada" 0.70), unrelated
 * questions at most 0.24 (server/inbox/questions.test.ts holds those pairs).
 */
export const sameQuestionAt = 0.45;
/** Distinct wordings grouped per request (the most asked ones): bounds the work to ~50 ms. */
export const maxWordings = 500;
/** Other wordings kept per group. */
const maxVariants = 5;

/**
 * The grouping runs on the built-in embedder whatever the site's retrieval uses: it sends nothing
 * to a provider, costs nothing, and its vectors only ever meet each other here.
 */
const grouper = createLocalEmbedder();

/**
 * Groups wordings of the same question (greedy, most asked first: each wording joins the group whose
 * centroid is nearest if it is at least `threshold` similar, else starts one). Returns the groups by
 * total count, most asked first; `rows` beyond `maxWordings` (after sorting by count) are ignored.
 */
export async function groupByMeaning(rows: readonly AskedQuestion[], opts: { threshold?: number; embedder?: Embedder } = {}): Promise<QuestionGroup[]> {
  const threshold = opts.threshold ?? sameQuestionAt;
  const wordings = [...rows].sort((a, b) => b.count - a.count || a.question.localeCompare(b.question)).slice(0, maxWordings);
  if (!wordings.length) return [];
  const { vectors } = await (opts.embedder ?? grouper).embed(
    wordings.map((w) => w.question),
    { purpose: 'query' },
  );
  const groups: { members: AskedQuestion[]; sum: number[] }[] = [];
  for (const [i, wording] of wordings.entries()) {
    const vector = vectors[i]!;
    let best = -1;
    let bestScore = threshold;
    for (const [g, group] of groups.entries()) {
      const score = cosineSimilarity(group.sum, vector);
      if (score >= bestScore) [best, bestScore] = [g, score];
    }
    if (best < 0) groups.push({ members: [wording], sum: [...vector] });
    else {
      const group = groups[best]!;
      group.members.push(wording);
      for (let d = 0; d < vector.length; d++) group.sum[d]! += vector[d]!;
    }
  }
  return groups
    .map(({ members }) => {
      const count = members.reduce((n, m) => n + m.count, 0);
      const rated = members.filter((m) => m.confidence !== null);
      const ratedCount = rated.reduce((n, m) => n + m.count, 0);
      return {
        question: members[0]!.question,
        count,
        confidence: ratedCount ? rated.reduce((s, m) => s + m.confidence! * m.count, 0) / ratedCount : null,
        variants: members.slice(1, 1 + maxVariants).map((m) => m.question),
      };
    })
    .sort((a, b) => b.count - a.count || a.question.localeCompare(b.question));
}
