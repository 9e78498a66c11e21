/** The knowledge base's job queues. */
export const knowledgeQueues = {
  /** Crawl a website or fetch a page, then index what changed. */
  sync: 'knowledge-sync',
  /** Extract and index an uploaded file. */
  file: 'knowledge-file',
  /** Every few minutes: queue the scheduled re-syncs that are due. */
  schedule: 'knowledge-schedule',
  /** Build or drop the per-site HNSW indexes (after a sync, and every few minutes). */
  siteIndexes: 'knowledge-site-indexes',
} as const;
