import { Transform, type Readable } from 'node:stream';
import type { z } from 'zod';
import type { createSourceBody, SourceView } from '../../contracts/knowledge.ts';
import { authorize, type Actor } from '../auth/permissions.ts';
import type { Selectable } from 'kysely';
import type { SourcesTable } from '../db/schema.ts';
import { isUuid, withTenant, type TenantTx } from '../db/tenant.ts';
import type { Deps } from '../deps.ts';
import { appError } from '../errors.ts';
import { checkLimit, tiers } from '../tenants/tiers.ts';
import { detectKind } from './extract/extract.ts';
import { knowledgeQueues } from './queues.ts';

/** What source services need. */
export type SourcesDeps = Pick<Deps, 'config' | 'database' | 'storage' | 'queue' | 'audit' | 'fetcher'>;

type SourceRow = Selectable<SourcesTable>;

/** The only way a source leaves the server. */
export function presentSource(s: SourceRow): SourceView {
  return {
    id: s.id,
    siteId: s.site_id,
    kind: s.kind,
    url: s.url,
    fileName: s.file_name,
    fileSize: s.file_size === null ? null : Number(s.file_size),
    status: s.status,
    progress: s.progress,
    error: s.error,
    include: s.include_patterns,
    exclude: s.exclude_patterns,
    maxPages: s.max_pages,
    maxDepth: s.max_depth,
    lastSyncAt: s.last_sync_at?.toISOString() ?? null,
    nextSyncAt: s.next_sync_at?.toISOString() ?? null,
    createdAt: s.created_at.toISOString(),
  };
}

async function siteOr404(tx: TenantTx, siteId: string) {
  const site = isUuid(siteId) ? await tx.selectFrom('sites').select(['id']).where('id', '=', siteId).executeTakeFirst() : undefined;
  if (!site) throw appError('site_not_found');
  return site;
}

async function sourceOr404(tx: TenantTx, siteId: string, sourceId: string): Promise<SourceRow> {
  const s = isUuid(sourceId) ? await tx.selectFrom('sources').selectAll().where('id', '=', sourceId).where('site_id', '=', siteId).executeTakeFirst() : undefined;
  if (!s) throw appError('source_not_found');
  return s;
}

async function tierOf(tx: TenantTx) {
  return (await tx.selectFrom('tenants').select('tier').executeTakeFirstOrThrow()).tier;
}

const running = ['queued', 'crawling', 'processing'];

/** Adds a website or single page and queues its first crawl (in the same transaction). */
export async function createWebSource(deps: SourcesDeps, actor: Actor, siteId: string, body: z.output<typeof createSourceBody>, requestId: string): Promise<SourceView> {
  authorize(actor, 'knowledge.manage');
  await assertSite(deps, actor, siteId);
  // Refuses special-purpose addresses, other schemes and ports before anything is stored (no transaction open: DNS).
  await deps.fetcher.vet(body.url);
  return withTenant(deps.database.db, actor.tenantId, async (tx) => {
    const site = await siteOr404(tx, siteId);
    const tier = await tierOf(tx);
    const row = await tx
      .insertInto('sources')
      .values({
        tenant_id: actor.tenantId,
        site_id: site.id,
        kind: body.kind,
        url: body.url,
        ...(body.kind === 'website'
          ? { include_patterns: body.include, exclude_patterns: body.exclude, max_depth: body.maxDepth, max_pages: Math.min(body.maxPages ?? Number.MAX_SAFE_INTEGER, tiers[tier].limits.pagesPerSite) }
          : { max_pages: 1, max_depth: 0 }),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await deps.queue.send(knowledgeQueues.sync, { tenantId: actor.tenantId, sourceId: row.id }, { tx, group: { id: actor.tenantId, tier } });
    await deps.audit.record(tx, { tenantId: actor.tenantId, actor: { type: 'user', id: actor.userId }, action: 'source.created', target: { type: 'source', id: row.id }, requestId, metadata: { siteId: site.id, kind: row.kind, url: row.url } });
    return presentSource(row);
  });
}

/** Throws `site_not_found` unless the site is the actor's tenant's. */
export async function assertSite(deps: Pick<SourcesDeps, 'database'>, actor: Actor, siteId: string): Promise<void> {
  await withTenant(deps.database.db, actor.tenantId, (tx) => siteOr404(tx, siteId));
}

/** A filename made safe to keep as metadata: no path, no control characters, at most 200 characters. */
export function sanitizeFilename(name: string): string {
  const base = name.replace(/\0/g, '').split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').replace(/^\.+/, '').trim().slice(0, 200);
  return clean || 'upload';
}

/**
 * Stores an uploaded file (size capped by the tier while streaming), checks its type from the
 * magic bytes against its extension, and queues processing. A rejected upload leaves nothing stored.
 */
export async function uploadFile(deps: SourcesDeps, actor: Actor, siteId: string, file: { stream: Readable; filename: string }, requestId: string): Promise<SourceView> {
  authorize(actor, 'knowledge.manage');
  const db = deps.database.db;
  const { tier, documents } = await withTenant(db, actor.tenantId, async (tx) => {
    await siteOr404(tx, siteId);
    const count = await tx.selectFrom('sources').select((eb) => eb.fn.countAll<number>().as('n')).where('site_id', '=', siteId).where('kind', '=', 'file').executeTakeFirstOrThrow();
    return { tier: await tierOf(tx), documents: Number(count.n) };
  });
  checkLimit(tier, 'documentsPerSite', documents);
  const filename = sanitizeFilename(file.filename);
  // The first 64 KB are kept aside for the type check as the file streams into storage.
  let head = Buffer.alloc(0);
  const tee = new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (head.length < 65_536) head = Buffer.concat([head, chunk.subarray(0, 65_536 - head.length)]);
      done(null, chunk);
    },
  });
  file.stream.on('error', (err) => tee.destroy(err));
  const stored = await deps.storage.put(actor.tenantId, file.stream.pipe(tee), { maxBytes: tiers[tier].limits.uploadBytes });
  try {
    if (stored.size === 0) throw appError('file_empty');
    await detectKind(head, filename);
    return await withTenant(db, actor.tenantId, async (tx) => {
      await siteOr404(tx, siteId);
      const row = await tx
        .insertInto('sources')
        .values({ tenant_id: actor.tenantId, site_id: siteId, kind: 'file', file_key: stored.key, file_name: filename, file_size: stored.size, max_pages: 1, max_depth: 0 })
        .returningAll()
        .executeTakeFirstOrThrow();
      await deps.queue.send(knowledgeQueues.file, { tenantId: actor.tenantId, sourceId: row.id }, { tx, group: { id: actor.tenantId, tier } });
      await deps.audit.record(tx, { tenantId: actor.tenantId, actor: { type: 'user', id: actor.userId }, action: 'source.uploaded', target: { type: 'source', id: row.id }, requestId, metadata: { siteId, fileName: filename, size: stored.size } });
      return presentSource(row);
    });
  } catch (err) {
    await deps.storage.delete(actor.tenantId, stored.key).catch(() => {});
    throw err;
  }
}

/** The site's sources, newest first. */
export async function listSources(deps: SourcesDeps, actor: Actor, siteId: string): Promise<{ items: SourceView[] }> {
  authorize(actor, 'knowledge.read');
  const rows = await withTenant(deps.database.db, actor.tenantId, async (tx) => {
    await siteOr404(tx, siteId);
    return tx.selectFrom('sources').selectAll().where('site_id', '=', siteId).orderBy('created_at', 'desc').limit(500).execute();
  });
  return { items: rows.map(presentSource) };
}

/** One source with its progress. */
export async function getSource(deps: SourcesDeps, actor: Actor, siteId: string, sourceId: string): Promise<SourceView> {
  authorize(actor, 'knowledge.read');
  return presentSource(await withTenant(deps.database.db, actor.tenantId, (tx) => sourceOr404(tx, siteId, sourceId)));
}

/** Queues a re-sync now (conditional requests; only changed pages are re-indexed). */
export async function resyncSource(deps: SourcesDeps, actor: Actor, siteId: string, sourceId: string, requestId: string): Promise<SourceView> {
  authorize(actor, 'knowledge.manage');
  return withTenant(deps.database.db, actor.tenantId, async (tx) => {
    const s = await sourceOr404(tx, siteId, sourceId);
    if (running.includes(s.status)) throw appError('conflict', 'This source is already being synced.');
    const row = await tx.updateTable('sources').set({ status: 'queued', updated_at: new Date() }).where('id', '=', s.id).returningAll().executeTakeFirstOrThrow();
    const tier = await tierOf(tx);
    await deps.queue.send(s.kind === 'file' ? knowledgeQueues.file : knowledgeQueues.sync, { tenantId: actor.tenantId, sourceId: s.id }, { tx, group: { id: actor.tenantId, tier } });
    await deps.audit.record(tx, { tenantId: actor.tenantId, actor: { type: 'user', id: actor.userId }, action: 'source.resync_requested', target: { type: 'source', id: s.id }, requestId });
    return presentSource(row);
  });
}

/** Cancels a queued or running sync: the worker stops at its next page. */
export async function cancelSource(deps: SourcesDeps, actor: Actor, siteId: string, sourceId: string, requestId: string): Promise<SourceView> {
  authorize(actor, 'knowledge.manage');
  return withTenant(deps.database.db, actor.tenantId, async (tx) => {
    const s = await sourceOr404(tx, siteId, sourceId);
    if (!running.includes(s.status)) throw appError('conflict', 'This source is not being synced.');
    const row = await tx.updateTable('sources').set({ status: 'cancelled', updated_at: new Date() }).where('id', '=', s.id).returningAll().executeTakeFirstOrThrow();
    await deps.audit.record(tx, { tenantId: actor.tenantId, actor: { type: 'user', id: actor.userId }, action: 'source.cancelled', target: { type: 'source', id: s.id }, requestId });
    return presentSource(row);
  });
}

/** Deletes a source with its documents, chunks and stored file. */
export async function deleteSource(deps: SourcesDeps, actor: Actor, siteId: string, sourceId: string, requestId: string): Promise<void> {
  authorize(actor, 'knowledge.manage');
  const fileKey = await withTenant(deps.database.db, actor.tenantId, async (tx) => {
    const s = await sourceOr404(tx, siteId, sourceId);
    const chunks = await tx.selectFrom('documents').select((eb) => eb.fn.coalesce(eb.fn.sum<number>('chunk_count'), eb.lit(0)).as('n')).where('source_id', '=', s.id).executeTakeFirstOrThrow();
    await tx.deleteFrom('sources').where('id', '=', s.id).execute();
    await tx.updateTable('sites').set((eb) => ({ chunk_count: eb('chunk_count', '-', Number(chunks.n)) })).where('id', '=', siteId).execute();
    await deps.audit.record(tx, { tenantId: actor.tenantId, actor: { type: 'user', id: actor.userId }, action: 'source.deleted', target: { type: 'source', id: s.id }, requestId, metadata: { kind: s.kind, url: s.url, fileName: s.file_name } });
    return s.file_key;
  });
  if (fileKey) await deps.storage.delete(actor.tenantId, fileKey).catch(() => {});
}

/** The current status and progress of a source (for the live event stream); null once deleted. */
export async function sourceSnapshot(deps: SourcesDeps, actor: Actor, siteId: string, sourceId: string): Promise<SourceView | null> {
  return withTenant(deps.database.db, actor.tenantId, async (tx) => {
    const s = isUuid(sourceId) ? await tx.selectFrom('sources').selectAll().where('id', '=', sourceId).where('site_id', '=', siteId).executeTakeFirst() : undefined;
    return s ? presentSource(s) : null;
  });
}
