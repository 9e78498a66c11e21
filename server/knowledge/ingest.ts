import type { Deps } from '../deps.ts';
import { withTenant } from '../db/tenant.ts';
import type { FetchResult } from '../platform/fetch/fetcher.ts';
import { siteSettings } from '../../contracts/sites.ts';
import { tiers } from '../tenants/tiers.ts';
import { chunkDocument, embeddingInput } from './chunk/chunk.ts';
import { crawlSite } from './crawl/crawler.ts';
import { normalizeUrl, sameHost } from './crawl/urls.ts';
import { detectKind, extract, warmExtraction } from './extract/extract.ts';
import type { ExtractedDocument } from './extract/types.ts';
import { tsConfigFor } from './languages.ts';
import { meterEmbedding } from './metering.ts';
import { ProgressTracker } from './progress.ts';
import { contentHash, precheck, recordFailedDocument, removeVanished, storeDocument, touchDocument } from './store.ts';

/** What ingestion needs. */
export type IngestDeps = Pick<Deps, 'config' | 'database' | 'storage' | 'fetcher' | 'embedder' | 'logger' | 'audit'>;

/** A sync job's payload. */
export interface SyncJob {
  tenantId: string;
  sourceId: string;
}

interface SourceContext {
  tenantId: string;
  siteId: string;
  sourceId: string;
  languages: string[];
  generation: number;
}

/** Turns an error into a short reason code for the per-page list. */
function reasonOf(err: unknown): string {
  const e = err as { code?: string; details?: { reason?: string } };
  return e.details?.reason ? `${e.code}:${e.details.reason}` : (e.code ?? 'internal');
}

/**
 * Indexes one extracted document: unchanged content is only marked seen, a duplicate of another
 * URL is skipped, anything else is chunked, embedded (no transaction open) and stored.
 */
async function indexExtracted(deps: IngestDeps, ctx: SourceContext, tracker: ProgressTracker, url: string, doc: ExtractedDocument, validators: { etag: string | null; lastModified: string | null }): Promise<void> {
  const sections = doc.sections.filter((s) => s.text.trim());
  if (!sections.length) return tracker.problem(url, 'no_text');
  const hash = contentHash(sections);
  const check = await precheck(deps.database.db, { ...ctx, url, hash, ...validators, links: doc.links ?? [] });
  if (check.kind === 'unchanged') {
    tracker.progress.unchanged++;
    return;
  }
  if (check.kind === 'duplicate') return tracker.problem(url, 'duplicate');
  const chunks = chunkDocument({ ...doc, sections });
  if (!chunks.length) return tracker.problem(url, 'no_text');
  const { vectors, usage } = await deps.embedder.embed(
    chunks.map((c) => embeddingInput(doc.title, c.headingPath, c.text)),
    { purpose: 'document' },
  );
  const stored = await storeDocument(deps.database.db, {
    ...ctx,
    url,
    title: doc.title || url,
    language: doc.language,
    hash,
    ...validators,
    tsConfig: tsConfigFor(doc.language, ctx.languages),
    chunks,
    vectors,
    embeddingModel: deps.embedder.model,
    links: doc.links ?? [],
  }, (tx) => meterEmbedding(tx, ctx.tenantId, ctx.siteId, deps.embedder.model, usage));
  tracker.progress.indexed++;
  tracker.progress.chunks += stored;
}

/** Opens a sync: bumps the source's generation and marks it running; null when it was cancelled or deleted. */
async function beginSync(deps: IngestDeps, job: SyncJob, status: 'crawling' | 'processing') {
  return withTenant(deps.database.db, job.tenantId, async (tx) => {
    const source = await tx.selectFrom('sources').selectAll().where('id', '=', job.sourceId).forUpdate().executeTakeFirst();
    if (!source || source.status === 'cancelled') return null;
    // Another run of this source is alive (its progress is written every 250 ms): this one is a duplicate.
    if ((source.status === 'crawling' || source.status === 'processing') && Date.now() - source.updated_at.getTime() < 120_000) return null;
    const site = await tx.selectFrom('sites').select(['id', 'settings']).where('id', '=', source.site_id).executeTakeFirstOrThrow();
    const tenant = await tx.selectFrom('tenants').select('tier').executeTakeFirstOrThrow();
    const generation = source.generation + 1;
    await tx.updateTable('sources').set({ status, generation, error: null, progress: JSON.stringify({}), updated_at: new Date() }).where('id', '=', source.id).execute();
    const languages = siteSettings.parse(site.settings).languages;
    return { source, ctx: { tenantId: job.tenantId, siteId: site.id, sourceId: source.id, languages, generation } satisfies SourceContext, tier: tenant.tier };
  });
}

/** Closes a sync: ready (or failed), next scheduled re-sync, audit event. */
async function endSync(deps: IngestDeps, ctx: SourceContext, tracker: ProgressTracker, outcome: { error?: string; resyncHours?: number }) {
  await tracker.flush(true);
  if (tracker.cancelled) return;
  await withTenant(deps.database.db, ctx.tenantId, async (tx) => {
    const status = outcome.error ? 'failed' : 'ready';
    await tx
      .updateTable('sources')
      .set({
        status,
        error: outcome.error ?? null,
        last_sync_at: new Date(),
        next_sync_at: outcome.resyncHours ? new Date(Date.now() + outcome.resyncHours * 3_600_000) : null,
        updated_at: new Date(),
      })
      .where('id', '=', ctx.sourceId)
      .where('status', '!=', 'cancelled')
      .execute();
    await deps.audit.record(tx, {
      tenantId: ctx.tenantId,
      actor: { type: 'system' },
      action: outcome.error ? 'source.sync_failed' : 'source.synced',
      target: { type: 'source', id: ctx.sourceId },
      metadata: { indexed: tracker.progress.indexed, unchanged: tracker.progress.unchanged, skipped: tracker.progress.skipped, chunks: tracker.progress.chunks, ...(outcome.error ? { error: outcome.error } : {}) },
    });
  });
}

function kindOf(result: FetchResult): 'html' | 'pdf' | null {
  const type = result.contentType?.split(';')[0]?.trim().toLowerCase();
  if (type === 'application/pdf') return 'pdf';
  if (type === 'text/html' || type === 'application/xhtml+xml') return 'html';
  return null;
}

/** Crawls a website (or fetches a single page) and indexes what changed; idempotent and cancellable. */
export async function syncWebSource(deps: IngestDeps, job: SyncJob): Promise<void> {
  const begun = await beginSync(deps, job, 'crawling');
  if (!begun) return;
  const { source, ctx, tier } = begun;
  const abort = new AbortController();
  const tracker = new ProgressTracker(deps.database.db, ctx.tenantId, ctx.sourceId, () => abort.abort());
  const db = deps.database.db;
  const known = new Map(
    (await withTenant(db, ctx.tenantId, (tx) => tx.selectFrom('documents').select(['url', 'etag', 'last_modified']).where('source_id', '=', ctx.sourceId).execute())).map((d) => [d.url, d]),
  );
  const keep = async (url: string) => void (await touchDocument(db, ctx.tenantId, ctx.sourceId, url, ctx.generation));
  const pageLimit = Math.min(source.max_pages, tiers[tier].limits.pagesPerSite);
  // A first sync extracts every page it fetches: load the worker while robots.txt and sitemaps are read.
  if (known.size === 0) warmExtraction();
  try {
    await crawlSite(
      deps.fetcher,
      {
        startUrl: source.url!,
        maxPages: source.kind === 'page' ? 1 : pageLimit,
        maxDepth: source.max_depth,
        include: source.include_patterns,
        exclude: source.exclude_patterns,
        concurrency: deps.config.crawl.concurrency,
        delayMs: deps.config.crawl.delayMs,
        signal: abort.signal,
        validators: (url) => {
          const d = known.get(url);
          return d ? { etag: d.etag, lastModified: d.last_modified } : undefined;
        },
        followLinks: source.kind === 'website',
        discover: source.kind === 'website',
      },
      {
        found: (total) => {
          tracker.progress.found = total;
        },
        skipped: (url, reason) => {
          tracker.problem(url, reason);
          // A page we could not reach this time keeps its content; a missing one goes.
          if (reason !== 'not_found' && known.has(url)) void keep(url).catch(() => {});
        },
        page: async ({ url, result }) => {
          tracker.progress.fetched++;
          const validators = { etag: result.headers.etag ?? null, lastModified: result.headers['last-modified'] ?? null };
          try {
            if (result.status === 304) {
              const links = await touchDocument(db, ctx.tenantId, ctx.sourceId, url, ctx.generation);
              if (links) tracker.progress.unchanged++;
              return { links: links ?? [] };
            }
            const kind = kindOf(result);
            if (!kind) {
              tracker.problem(url, 'content_type');
              return { links: [] };
            }
            const doc = await extract(kind, result.body, { url });
            const links = doc.links ?? [];
            if (doc.metaRefresh) {
              tracker.problem(url, 'redirect');
              return { links, redirectTo: doc.metaRefresh };
            }
            if (doc.noindex) {
              tracker.problem(url, 'noindex');
              return { links };
            }
            const canonical = doc.canonicalUrl ? normalizeUrl(doc.canonicalUrl, url) : null;
            const docUrl = canonical && sameHost(canonical, url) ? canonical : url;
            await indexExtracted(deps, ctx, tracker, docUrl, doc, validators);
            return { links };
          } catch (err) {
            tracker.problem(url, reasonOf(err), true);
            await recordFailedDocument(db, { ...ctx, url, status: 'failed', reason: reasonOf(err) }).catch(() => {});
            return { links: [] };
          } finally {
            await tracker.flush();
          }
        },
      },
    );
    if (abort.signal.aborted) return;
    await removeVanished(db, ctx.tenantId, ctx.siteId, ctx.sourceId, ctx.generation);
    const error = tracker.progress.indexed + tracker.progress.unchanged === 0 ? (tracker.progress.errors[0]?.reason ?? 'nothing_indexed') : undefined;
    await endSync(deps, ctx, tracker, { ...(error ? { error } : {}), ...(source.kind === 'website' ? { resyncHours: tiers[tier].limits.resyncIntervalHours } : {}) });
  } catch (err) {
    deps.logger.error({ err, sourceId: ctx.sourceId }, 'sync failed');
    await endSync(deps, ctx, tracker, { error: reasonOf(err) });
  }
}

/** Extracts, chunks and indexes an uploaded file (read back from object storage). */
export async function processFileSource(deps: IngestDeps, job: SyncJob): Promise<void> {
  const begun = await beginSync(deps, job, 'processing');
  if (!begun) return;
  const { source, ctx } = begun;
  const tracker = new ProgressTracker(deps.database.db, ctx.tenantId, ctx.sourceId, () => {});
  tracker.progress.found = 1;
  try {
    const stream = await deps.storage.get(ctx.tenantId, source.file_key!);
    const parts: Buffer[] = [];
    for await (const part of stream) parts.push(part as Buffer);
    const bytes = Buffer.concat(parts);
    const name = source.file_name ?? 'upload';
    const kind = await detectKind(bytes, name);
    const doc = await extract(kind, bytes, { filename: name });
    tracker.progress.fetched = 1;
    await indexExtracted(deps, ctx, tracker, `upload:${ctx.sourceId}/${encodeURIComponent(name)}`, { ...doc, title: doc.title || name }, { etag: null, lastModified: null });
    await removeVanished(deps.database.db, ctx.tenantId, ctx.siteId, ctx.sourceId, ctx.generation);
    const error = tracker.progress.indexed + tracker.progress.unchanged === 0 ? (tracker.progress.errors[0]?.reason ?? 'no_text') : undefined;
    await endSync(deps, ctx, tracker, error ? { error } : {});
  } catch (err) {
    tracker.problem(source.file_name ?? 'upload', reasonOf(err), true);
    await endSync(deps, ctx, tracker, { error: reasonOf(err) });
  }
}
