import { buildApp } from './app.ts';
import { startWorkers } from './jobs.ts';
import { boot, onShutdown } from './runtime.ts';

// `npm start`: the HTTP server, and in the embedded default also the job workers.
const { config, deps, release } = await boot();
const app = await buildApp(deps);
if (config.runWorkers) await startWorkers(deps);

onShutdown(deps, async () => {
  await app.close(); // in-flight requests finish; new ones get 503
  await deps.close();
  release();
  deps.logger.info('Cloop stopped');
  deps.logger.flush();
});

try {
  await app.listen({ port: config.port, host: config.host });
} catch (err) {
  deps.logger.fatal({ err }, 'could not listen');
  await deps.close().catch(() => {});
  release();
  process.exit(1);
}
const backends = `database=${config.database.kind} state=${config.state.kind} storage=${config.storage.kind}`;
deps.logger.info({ url: config.publicUrl }, `Cloop is running at ${config.publicUrl} (${backends})`);
