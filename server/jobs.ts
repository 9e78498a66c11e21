import type { Deps } from './deps.ts';

/**
 * Declares every queue and starts its workers in this process.
 * Features add their queues here (crawling, extraction, retention…).
 */
export async function startWorkers(deps: Pick<Deps, 'queue' | 'logger'>): Promise<void> {
  const queues: { name: string; start: () => Promise<void> }[] = [];
  for (const q of queues) await q.start();
  deps.logger.info({ queues: queues.map((q) => q.name) }, 'job workers started');
}
