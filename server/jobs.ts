import type { Deps } from './deps.ts';
import { withSystem } from './db/tenant.ts';
import { processFileSource, syncWebSource, type SyncJob } from './knowledge/ingest.ts';
import { knowledgeQueues } from './knowledge/queues.ts';
import { reembedSite, sitesToReembed, type ReembedJob } from './knowledge/reembed.ts';
import { startTicking } from './platform/queue/ticking.ts';
import { startRetentionWorkers } from './retention/retention.jobs.ts';
import { reconcileSiteIndexes, refreshSiteTerms } from './knowledge/site-upkeep.system.ts';

// One tenant's big crawl cannot starve the others: at most this many of its jobs run at once,
// across every worker process.
const perTenant = { default: 1, tiers: { free: 1, pro: 2, business: 3 } };

/** What `startWorkers` may be told. */
export interface WorkerOptions {
  /**
   * How long after start the periodic work (re-sync schedule, site upkeep, retention sweep) first
   * asks to run: a server starting up answers /readyz first and sweeps after. Tests pass 0.
   */
  firstTickAfterMs?: number;
}

/** What `npm start` and `npm run worker` use: none of the periodic work is urgent at start. */
export const startupSettleMs = 10_000;

/**
 * Declares every queue and starts its workers in this process.
 * Features add their queues here (crawling, extraction, retention…).
 */
export async function startWorkers(deps: Deps, options: WorkerOptions = {}): Promise<void> {
  const firstTickAfterMs = options.firstTickAfterMs ?? 0;
  const { queue } = deps;
  await queue.define(knowledgeQueues.sync, { retryLimit: 2, retryDelaySeconds: 30, expireInSeconds: 60 * 60 });
  await queue.define(knowledgeQueues.file, { retryLimit: 2, retryDelaySeconds: 10, expireInSeconds: 15 * 60 });
  await queue.define(knowledgeQueues.schedule, { retryLimit: 0, expireInSeconds: 5 * 60 });
  await queue.define(knowledgeQueues.siteUpkeep, { retryLimit: 2, retryDelaySeconds: 60, expireInSeconds: 60 * 60 });
  // A failed batch (provider down) is retried; the next schedule tick queues the site again anyway.
  await queue.define(knowledgeQueues.reembed, { retryLimit: 3, retryDelaySeconds: 60, retryBackoff: true, expireInSeconds: 60 * 60 });
  // After a sync: recount the site's lexemes; the site may also have crossed the partial-index threshold.
  const upkeep = () => void queue.send(knowledgeQueues.siteUpkeep, {}, { singletonKey: 'site-upkeep' }).catch(() => {});
  await queue.work<SyncJob>(knowledgeQueues.sync, (job) => syncWebSource(deps, job).finally(upkeep), { concurrency: 2, groupConcurrency: perTenant });
  await queue.work<SyncJob>(knowledgeQueues.file, (job) => processFileSource(deps, job).finally(upkeep), { concurrency: 2, groupConcurrency: perTenant });
  await queue.work(knowledgeQueues.siteUpkeep, async () => {
    const terms = await refreshSiteTerms(deps.database);
    const indexes = await reconcileSiteIndexes(deps.database);
    if (terms.length || indexes.created.length || indexes.dropped.length) deps.logger.info({ termsRefreshed: terms, ...indexes }, 'site upkeep');
  });
  await queue.work<ReembedJob>(knowledgeQueues.reembed, async (job) => void (await reembedSite(deps, job)), { concurrency: 1, groupConcurrency: perTenant });
  await queue.work(knowledgeQueues.schedule, async () => {
    await queueDueResyncs(deps);
    await queueReembeds(deps);
  });
  startResyncTimer(deps, firstTickAfterMs);
  await startRetentionWorkers(deps, firstTickAfterMs);
  deps.logger.info({ queues: Object.values(knowledgeQueues) }, 'job workers started');
}

/** Queues a sync for every website source whose scheduled re-sync is due (reviewed cross-tenant read). */
export async function queueDueResyncs(deps: Pick<Deps, 'database' | 'queue'>): Promise<number> {
  return withSystem(deps.database.db, async (tx) => {
    const due = await tx
      .selectFrom('sources as s')
      .innerJoin('tenants as t', 't.id', 's.tenant_id')
      .select(['s.id', 's.tenant_id', 't.tier'])
      .where('s.next_sync_at', '<=', new Date())
      .where('s.status', 'in', ['ready', 'failed'])
      .where('t.status', '!=', 'terminated')
      .limit(500)
      .execute();
    for (const s of due) {
      await tx.updateTable('sources').set({ status: 'queued', next_sync_at: null }).where('id', '=', s.id).execute();
      await deps.queue.send(knowledgeQueues.sync, { tenantId: s.tenant_id, sourceId: s.id }, { tx, group: { id: s.tenant_id, tier: s.tier } });
    }
    return due.length;
  });
}

/** Queues a re-embed job for every site whose vectors are not of the configured model (one per site at a time). */
export async function queueReembeds(deps: Pick<Deps, 'database' | 'queue' | 'embedder'>): Promise<number> {
  const due = await sitesToReembed(deps.database.db, deps.embedder);
  for (const site of due) await deps.queue.send(knowledgeQueues.reembed, site, { singletonKey: `reembed-${site.siteId}`, group: { id: site.tenantId } });
  return due.length;
}

// Every 5 minutes one process looks for due re-syncs: one job per 5-minute slot however many
// processes ask (also after it has run).
function startResyncTimer(deps: Deps, firstTickAfterMs: number): void {
  const tick = () => {
    void deps.queue.send(knowledgeQueues.schedule, {}, { singletonKey: 'resync', oncePerSeconds: 300 }).catch(() => {});
    // Also catches deleted sources (statistics) and deleted sites (their indexes).
    void deps.queue.send(knowledgeQueues.siteUpkeep, {}, { singletonKey: 'site-upkeep-periodic', oncePerSeconds: 300 }).catch(() => {});
  };
  startTicking(tick, 300_000, firstTickAfterMs);
}

