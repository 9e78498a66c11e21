// Seeds conversations, messages and leads straight into the database (through the tenant door), for
// tests that need content the chat would not produce on demand: every XSS payload of the shared
// corpus, CSV formula cells, questions with chosen confidences for the insights.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from '../server/db/database.ts';
import { withTenant, type TenantTx } from '../server/db/tenant.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Every payload of ../shared/corpora/xss/payloads.jsonl (NUL removed: PostgreSQL text cannot hold it). */
export function xssPayloads(): string[] {
  const file = path.resolve(repoRoot, '../shared/corpora/xss/payloads.jsonl');
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => (JSON.parse(l) as { payload: string }).payload.replace(/\0/g, ''))
    .filter((p) => p.trim());
}

/** One conversation to seed: its messages alternate visitor / assistant. */
export interface SeedConversation {
  entryPage: string | null;
  texts: string[];
  /** A lead's email (any text: the database does not check it). */
  leadEmail?: string;
  /** Title and URL of the source every answer cites. */
  source?: { title: string; url: string };
  /** Every answer's confidence (default 0.42) and whether it answered (default true). */
  confidence?: number;
  answered?: boolean;
  /** How long ago it started (default: the list's order, oldest first, a minute ago and later). */
  ageMs?: number;
}

async function visitor(tx: TenantTx, tenantId: string, siteId: string): Promise<string> {
  const row = await tx.insertInto('visitors').values({ tenant_id: tenantId, site_id: siteId, secret_hash: randomBytes(24).toString('base64url') }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/** Inserts the conversations (oldest first, one second apart) and returns their ids. */
export async function seedConversations(db: Database['db'], tenantId: string, siteId: string, conversations: SeedConversation[]): Promise<string[]> {
  const ids: string[] = [];
  const start = Date.now() - conversations.length * 1000 - 60_000;
  for (const [i, c] of conversations.entries()) {
    await withTenant(db, tenantId, async (tx) => {
      const at = c.ageMs === undefined ? new Date(start + i * 1000) : new Date(Date.now() - c.ageMs);
      const visitorId = await visitor(tx, tenantId, siteId);
      const conv = await tx
        .insertInto('conversations')
        .values({ tenant_id: tenantId, site_id: siteId, visitor_id: visitorId, entry_page: c.entryPage, language: 'en', phase: 'learning', message_count: c.texts.length, last_confidence: c.confidence ?? 0.42, created_at: at, updated_at: at })
        .returning('id')
        .executeTakeFirstOrThrow();
      const rows = c.texts.map((text, j) => {
        const assistant = j % 2 === 1;
        return {
          tenant_id: tenantId,
          site_id: siteId,
          conversation_id: conv.id,
          role: assistant ? ('assistant' as const) : ('user' as const),
          text,
          sources: JSON.stringify(assistant && c.source ? [{ n: 1, title: c.source.title, url: c.source.url, page: null }] : []),
          confidence: assistant ? (c.confidence ?? 0.42) : null,
          answered: assistant ? (c.answered ?? true) : null,
          phase: 'learning',
          created_at: new Date(at.getTime() + j),
        };
      });
      for (let k = 0; k < rows.length; k += 500) await tx.insertInto('messages').values(rows.slice(k, k + 500)).execute();
      if (c.leadEmail !== undefined) {
        await tx.insertInto('leads').values({ tenant_id: tenantId, site_id: siteId, conversation_id: conv.id, visitor_id: visitorId, email: c.leadEmail, created_at: at, updated_at: at }).execute();
      }
      ids.push(conv.id);
    });
  }
  return ids;
}
