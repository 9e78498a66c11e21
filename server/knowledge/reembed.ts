import { sql } from 'kysely';
import { withSystem, withTenant } from '../db/tenant.ts';
import type { Deps } from '../deps.ts';
import { embeddingInput } from './chunk/chunk.ts';
import { meterEmbedding } from './metering.ts';
import { vectorLiteral } from './retrieval.ts';

// Re-embedding after the embedding model changes. Every chunk records the model that made its
// vector, and retrieval compares a question only with vectors of the model that embedded the
// question; so after a change of EMBEDDINGS_* a site answers from full-text alone until its chunks
// are converted, batch by batch, by this job. A site's `embedding_model` names the model all its
// chunks have; a site whose record differs from the configured model is due.

export type ReembedDeps = Pick<Deps, 'database' | 'embedder' | 'audit' | 'logger'>;

/** One site to convert. */
export interface ReembedJob {
  tenantId: string;
  siteId: string;
}

/** Chunks embedded per provider call and stored per transaction. */
export const reembedBatch = 64;
/** Sites queued per scan (the next scan takes the rest). */
const scanLimit = 500;

/** The reviewed cross-tenant read: sites whose vectors are not (all) of `model`. */
export async function sitesToReembed(db: Deps['database']['db'], embedder: { model: string; dimension: number }): Promise<ReembedJob[]> {
  const rows = await withSystem(db, (tx) =>
    tx
      .selectFrom('sites')
      .select(['id', 'tenant_id'])
      .where((eb) => eb.or([eb('embedding_model', '!=', embedder.model), eb('embedding_dim', '!=', embedder.dimension)]))
      .orderBy('id')
      .limit(scanLimit)
      .execute(),
  );
  return rows.map((r) => ({ tenantId: r.tenant_id, siteId: r.id }));
}

/**
 * Converts one site's chunks to the configured model, `reembedBatch` at a time: each batch is read,
 * embedded (no transaction open), then written with its metering in one transaction, so a crash
 * loses at most the batch in flight and a rerun continues where it stopped. When no chunk of
 * another model is left, the site is marked as of this model and an audit event says so.
 * Returns the number of chunks converted by this run.
 */
export async function reembedSite(deps: ReembedDeps, job: ReembedJob, opts: { signal?: AbortSignal; batch?: number } = {}): Promise<number> {
  const { model, dimension } = deps.embedder;
  const batchSize = opts.batch ?? reembedBatch;
  let converted = 0;
  for (;;) {
    opts.signal?.throwIfAborted();
    const batch = await withTenant(deps.database.db, job.tenantId, (tx) =>
      tx
        .selectFrom('chunks')
        .select(['id', 'title', 'heading_path', 'text'])
        .where('site_id', '=', job.siteId)
        .where('embedding_model', '!=', model)
        .orderBy('id')
        .limit(batchSize)
        .execute(),
    );
    if (!batch.length) break;
    const { vectors, usage } = await deps.embedder.embed(
      batch.map((c) => embeddingInput(c.title, c.heading_path, c.text)),
      { purpose: 'document', ...(opts.signal ? { signal: opts.signal } : {}) },
    );
    await withTenant(deps.database.db, job.tenantId, async (tx) => {
      // A chunk deleted or re-indexed meanwhile simply does not match any more.
      await sql`
        update chunks c set embedding = v.embedding::vector, embedding_model = ${model}
        from unnest(${batch.map((c) => c.id)}::bigint[], ${vectors.map(vectorLiteral)}::text[]) as v (id, embedding)
        where c.id = v.id and c.site_id = ${job.siteId} and c.embedding_model != ${model}`.execute(tx);
      await meterEmbedding(tx, job.tenantId, job.siteId, model, usage);
    });
    converted += batch.length;
  }
  await withTenant(deps.database.db, job.tenantId, async (tx) => {
    const site = await tx.updateTable('sites').set({ embedding_model: model, embedding_dim: dimension }).where('id', '=', job.siteId).where((eb) => eb.or([eb('embedding_model', '!=', model), eb('embedding_dim', '!=', dimension)])).returning('id').executeTakeFirst();
    if (site) await deps.audit.record(tx, { tenantId: job.tenantId, actor: { type: 'system' }, action: 'site.reembedded', target: { type: 'site', id: job.siteId }, metadata: { model, dimension, chunks: converted } });
  });
  if (converted) deps.logger.info({ siteId: job.siteId, model, chunks: converted }, 'site re-embedded');
  return converted;
}
