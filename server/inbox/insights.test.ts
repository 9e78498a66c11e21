import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SiteView } from '../../contracts/sites.ts';
import { seedConversations, type SeedConversation } from '../../test/conversation-seed.ts';
import { buildTestApp, openTestDatabase } from '../../test/harness.ts';
import { joinAs, newOwner, type TestUser } from '../../test/sessions.ts';
import type { Database } from '../db/database.ts';

// GET /api/sites/:id/insights over the real stack: activity per day, the funnel, top questions and
// content gaps with wordings of one question grouped by meaning, the period, and who may read it.

type TestApp = Awaited<ReturnType<typeof buildTestApp>>;
interface Grouped {
  question: string;
  count: number;
  confidence: number | null;
  variants: string[];
}
interface InsightsBody {
  days: number;
  perDay: { day: string; conversations: number; messages: number }[];
  funnel: { phase: string; count: number }[];
  leads: number;
  topQuestions: Grouped[];
  contentGaps: Grouped[];
}

let database: Database;
let t: TestApp;
let owner: TestUser;
let site: SiteView;

const day = 86_400_000;
const asked = (question: string, opts: Partial<SeedConversation> = {}): SeedConversation => ({ entryPage: null, texts: [question, 'An answer.'], ...opts });

beforeAll(async () => {
  database = await openTestDatabase();
  t = await buildTestApp(database);
  owner = await newOwner(t.app, t.deps);
  const res = await t.app.inject({ method: 'POST', url: '/api/sites', headers: owner.headers, payload: { name: 'Insights', domains: ['insights.example.com'] } });
  site = res.json() as SiteView;
  await seedConversations(database.db, owner.tenantId, site.id, [
    // Answered well: top questions, not gaps.
    asked('How do I return an item?', { confidence: 0.9 }),
    asked('how do i return an item', { confidence: 0.8, leadEmail: 'a@example.com' }),
    // Gaps: one question in three wordings (one not answered at all), another on its own.
    asked('How do I reset my password?', { confidence: 0.2, answered: false }),
    asked('reset password', { confidence: 0.4 }),
    asked('password reset not working', { confidence: 0.3 }),
    asked('Do you ship to Canada?', { confidence: 0.45 }),
    // Older than the 30-day period.
    asked('Do you ship to Mars?', { confidence: 0.1, answered: false, ageMs: 40 * day }),
  ]);
});
afterAll(async () => {
  await t?.close();
  await database?.close();
});

const get = (user: TestUser, query = '') => t.app.inject({ url: `/api/sites/${site.id}/insights${query}`, headers: user.headers });

describe('insights', () => {
  it('groups the wordings of one question and lists what the content does not answer', async () => {
    const res = await get(owner);
    expect(res.statusCode).toBe(200);
    const body = res.json() as InsightsBody;
    expect(body.days).toBe(30);
    expect(body.leads).toBe(1);
    expect(body.perDay.reduce((n, d) => n + d.conversations, 0)).toBe(6);
    expect(body.perDay.reduce((n, d) => n + d.messages, 0)).toBe(12);
    expect(body.contentGaps).toEqual([
      { question: 'how do i reset my password?', count: 3, confidence: expect.closeTo(0.3, 5), variants: ['password reset not working', 'reset password'] },
      { question: 'do you ship to canada?', count: 1, confidence: expect.closeTo(0.45, 5), variants: [] },
    ]);
    expect(body.topQuestions[0]).toEqual({ question: 'how do i reset my password?', count: 3, confidence: expect.closeTo(0.3, 5), variants: ['password reset not working', 'reset password'] });
    expect(body.topQuestions.find((q) => q.question === 'how do i return an item')).toEqual({ question: 'how do i return an item', count: 2, confidence: expect.closeTo(0.85, 5), variants: ['how do i return an item?'] });
  });

  it('the period reaches older questions; bad periods get the error shape', async () => {
    const year = (await get(owner, '?days=90')).json() as InsightsBody;
    expect(year.contentGaps.flatMap((g) => [g.question, ...g.variants])).toContain('do you ship to mars?');
    expect(year.contentGaps.reduce((n, g) => n + g.count, 0)).toBe(5);
    for (const bad of ['?days=0', '?days=abc', '?days=100000']) {
      const res = await get(owner, bad);
      expect(res.statusCode, bad).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: 'validation_failed' } });
    }
  });

  it('a Member may read them; another tenant gets 404', async () => {
    const member = await joinAs(t.app, t.deps, owner.tenantId, 'member');
    expect((await get(member)).statusCode).toBe(200);
    const stranger = await newOwner(t.app, t.deps);
    const res = await get(stranger);
    expect(res.statusCode).toBe(404);
  });
});
