/** The knowledge base's job queues. */
export const knowledgeQueues = {
  /** Crawl a website or fetch a page, then index what changed. */
  sync: 'knowledge-sync',
  /** Extract and index an uploaded file. */
  file: 'knowledge-file',
  /** Every few minutes: queue the scheduled re-syncs that are due. */
  schedule: 'knowledge-schedule',
  /** Recount changed sites' lexeme statistics, build or drop per-site HNSW indexes (after a sync, and every few minutes). */
  siteUpkeep: 'knowledge-site-upkeep',
  /** Convert one site's chunks to the configured embedding model (queued by the schedule job when a site's model differs). */
  reembed: 'knowledge-reembed',
} as const;
