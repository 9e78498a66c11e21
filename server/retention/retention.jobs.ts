import type { Deps } from '../deps.ts';
import { startTicking } from '../platform/queue/ticking.ts';
import { runRetention } from './retention.service.ts';

/** The retention queue: one sweep an hour runs every rule (DESIGN §5 retention). */
export const retentionQueues = { sweep: 'retention-sweep' } as const;

const hourMs = 3_600_000;

/** Declares the retention queue, starts its worker and the hourly timer in this process. */
export async function startRetentionWorkers(deps: Deps, firstTickAfterMs = 0): Promise<void> {
  // A sweep that dies mid-way is retried; every step is idempotent, so a rerun finishes the job.
  await deps.queue.define(retentionQueues.sweep, { retryLimit: 2, retryDelaySeconds: 300, expireInSeconds: 60 * 60 });
  await deps.queue.work(retentionQueues.sweep, async () => void (await runRetention(deps)));
  startSweepTimer(deps, firstTickAfterMs);
}

// Every hour (and once soon after start) this process asks for a sweep; the queue keeps one sweep
// job per clock hour however many processes ask (also after it has run). Concurrent sweeps would
// split the work anyway (row locks with SKIP LOCKED, one purger per tenant at a time).
function startSweepTimer(deps: Deps, firstTickAfterMs: number): void {
  const tick = () => void deps.queue.send(retentionQueues.sweep, {}, { singletonKey: 'retention', oncePerSeconds: hourMs / 1000 }).catch(() => {});
  startTicking(tick, hourMs, firstTickAfterMs);
}
