import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { SourceView } from '../contracts/knowledge.ts';
import type { Database } from '../server/db/database.ts';
import { withTenant } from '../server/db/tenant.ts';
import { eventually } from './harness.ts';
import type { TestUser } from './sessions.ts';

/** Statuses after which a sync does nothing more. */
export const finishedStatuses = ['ready', 'failed', 'cancelled'];

/** Creates a site through the API and returns its id. */
export async function newSite(app: FastifyInstance, user: TestUser, name = 'Help center'): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/sites', headers: user.headers, payload: { name } });
  if (res.statusCode !== 201) throw new Error(`site: ${res.statusCode} ${res.body}`);
  return (res.json() as { id: string }).id;
}

/** Reads a source through the API. */
export async function getSource(app: FastifyInstance, user: TestUser, siteId: string, sourceId: string): Promise<SourceView> {
  const res = await app.inject({ url: `/api/sites/${siteId}/sources/${sourceId}`, headers: user.headers });
  if (res.statusCode !== 200) throw new Error(`source: ${res.statusCode} ${res.body}`);
  return res.json() as SourceView;
}

/** Polls the source until `done(source)` holds (default: a finished status). */
export async function waitForSource(
  app: FastifyInstance,
  user: TestUser,
  siteId: string,
  sourceId: string,
  done: (s: SourceView) => boolean = (s) => finishedStatuses.includes(s.status),
  timeoutMs = 60_000,
): Promise<SourceView> {
  let last: SourceView | undefined;
  try {
    return (await eventually(async () => {
      last = await getSource(app, user, siteId, sourceId);
      return done(last) ? last : null;
    }, timeoutMs, 200))!;
  } catch (err) {
    throw new Error(`${(err as Error).message}; last seen: ${JSON.stringify(last)}`);
  }
}

/** Adds a website (or page) source through the API; throws unless it was queued. */
export async function addWebSource(app: FastifyInstance, user: TestUser, siteId: string, body: Record<string, unknown>): Promise<SourceView> {
  const res = await app.inject({ method: 'POST', url: `/api/sites/${siteId}/sources`, headers: user.headers, payload: body });
  if (res.statusCode !== 201) throw new Error(`add source: ${res.statusCode} ${res.body}`);
  return res.json() as SourceView;
}

/** One server-sent event. */
export interface SseEvent {
  event: string;
  data: unknown;
}

/** Parses a complete text/event-stream body (comments such as heartbeats are dropped). */
export function parseSse(body: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of body.split('\n\n')) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (data.length) events.push({ event, data: JSON.parse(data.join('\n')) });
  }
  return events;
}

/** A search through the API. */
export async function search(app: FastifyInstance, user: TestUser, siteId: string, query: string, limit = 8) {
  const res = await app.inject({ method: 'POST', url: `/api/sites/${siteId}/search`, headers: user.headers, payload: { query, limit } });
  if (res.statusCode !== 200) throw new Error(`search: ${res.statusCode} ${res.body}`);
  return (res.json() as { items: { chunkId: number; documentId: string; text: string; headingPath: string[]; title: string; url: string; score: number; similarity: number | null; vectorRank: number | null; textRank: number | null }[] }).items;
}

/** What a source holds in the database, read as its tenant (row-level security applies). */
export async function indexOf(database: Database, tenantId: string, sourceId: string) {
  return withTenant(database.db, tenantId, async (tx) => {
    const documents = await tx.selectFrom('documents').select(['id', 'url', 'status', 'reason', 'content_hash', 'chunk_count', 'site_id']).where('source_id', '=', sourceId).orderBy('url').execute();
    const chunks = await tx
      .selectFrom('chunks as c')
      .innerJoin('documents as d', 'd.id', 'c.document_id')
      .select(['c.id', 'c.document_id', 'c.ordinal', 'c.url', 'c.text'])
      .where('d.source_id', '=', sourceId)
      .orderBy('c.id')
      .execute();
    return { documents, chunks };
  });
}

/** Integrity of a site's index: (document, ordinal) pairs seen twice, content hashes indexed twice, and the kept chunk count vs the real one. */
export async function integrityOf(database: Database, tenantId: string, siteId: string) {
  return withTenant(database.db, tenantId, async (tx) => {
    const duplicateChunks = await sql<{ document_id: string; ordinal: number; n: number }>`
      select c.document_id, c.ordinal, count(*)::int as n from chunks c where c.site_id = ${siteId} group by 1, 2 having count(*) > 1`.execute(tx);
    const duplicateHashes = await sql<{ content_hash: string; n: number }>`
      select content_hash, count(*)::int as n from documents where site_id = ${siteId} and status = 'indexed' group by 1 having count(*) > 1`.execute(tx);
    const duplicateUrls = await sql<{ url: string; n: number }>`
      select url, count(*)::int as n from documents where site_id = ${siteId} group by 1 having count(*) > 1`.execute(tx);
    const counted = await sql<{ n: number }>`select count(*)::int as n from chunks where site_id = ${siteId}`.execute(tx);
    const perDocument = await sql<{ n: number }>`
      select count(*)::int as n from documents d where d.site_id = ${siteId} and d.chunk_count <> (select count(*) from chunks c where c.document_id = d.id)`.execute(tx);
    const site = await tx.selectFrom('sites').select('chunk_count').where('id', '=', siteId).executeTakeFirstOrThrow();
    return {
      duplicateChunks: duplicateChunks.rows,
      duplicateHashes: duplicateHashes.rows,
      duplicateUrls: duplicateUrls.rows,
      chunks: counted.rows[0]!.n,
      siteChunkCount: site.chunk_count,
      documentsWithWrongChunkCount: perDocument.rows[0]!.n,
    };
  });
}
