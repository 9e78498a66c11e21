import { describe, expect, it } from 'vitest';
import { groupByMeaning, maxWordings, sameQuestionAt, type AskedQuestion } from './questions.ts';

const q = (question: string, count: number, confidence: number | null = 0.3): AskedQuestion => ({ question, count, confidence });

describe('groupByMeaning', () => {
  it('puts wordings of one question together and keeps different questions apart', async () => {
    const groups = await groupByMeaning([
      q('how do i reset my password?', 5, 0.2),
      q('reset password', 3, 0.4),
      q('password reset not working', 1, 0.1),
      q('do you ship to canada?', 4),
      q('how much is shipping to canada', 2),
      q('shipping to canada cost', 1),
      q('what are your opening hours', 2),
      q('when are you open on sunday', 1),
      q('how do i delete my account', 1),
      q('cancel my subscription', 1),
    ]);
    expect(groups.map((g) => [g.question, g.count, g.variants])).toEqual([
      ['how do i reset my password?', 9, ['reset password', 'password reset not working']],
      ['do you ship to canada?', 7, ['how much is shipping to canada', 'shipping to canada cost']],
      ['what are your opening hours', 2, []],
      ['cancel my subscription', 1, []],
      ['how do i delete my account', 1, []],
      ['when are you open on sunday', 1, []],
    ]);
    // Confidence is weighted by how often each wording was asked: (5·0.2 + 3·0.4 + 1·0.1) / 9.
    expect(groups[0]!.confidence).toBeCloseTo(2.3 / 9, 6);
  });

  it('a typo still lands in its question’s group; unrated answers do not count towards confidence', async () => {
    const groups = await groupByMeaning([q('how do I reset my password', 2, 0.5), q('how do i reset my pasword', 1, null)]);
    expect(groups).toEqual([{ question: 'how do I reset my password', count: 3, confidence: 0.5, variants: ['how do i reset my pasword'] }]);
  });

  it('keeps every wording on its own above any similarity, and nothing in, nothing out', async () => {
    expect(await groupByMeaning([])).toEqual([]);
    const apart = await groupByMeaning([q('reset password', 2), q('reset my password', 1)], { threshold: 1.01 });
    expect(apart.map((g) => g.question)).toEqual(['reset password', 'reset my password']);
    expect(sameQuestionAt).toBeGreaterThan(0.3);
  });

  it(`reads at most ${maxWordings} wordings, the most asked`, async () => {
    const many = Array.from({ length: maxWordings + 50 }, (_, i) => q(`question number ${i} about topic ${i}`, i < 50 ? 1 : 2));
    const groups = await groupByMeaning(many);
    const seen = groups.flatMap((g) => [g.question, ...g.variants]);
    expect(groups.reduce((n, g) => n + g.count, 0)).toBe(maxWordings * 2);
    expect(seen.some((s) => s === 'question number 0 about topic 0')).toBe(false);
  });
});
