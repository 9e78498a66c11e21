import { startupSettleMs, startWorkers } from './jobs.ts';
import { boot, onShutdown } from './runtime.ts';

// `npm run worker`: a job worker process beside the API processes (same database).
const { deps, release } = await boot();
onShutdown(deps, async () => {
  await deps.close(); // running jobs finish first
  release();
});
await startWorkers(deps, { firstTickAfterMs: startupSettleMs });
deps.logger.info('Cloop worker is running');
