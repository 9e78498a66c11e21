import { buildApp } from './app.ts';
import { firstOwnerSigninLink } from './auth/auth.service.ts';
import { startControlSocket } from './cli/control-socket.ts';
import { startupSettleMs, startWorkers } from './jobs.ts';
import { boot, onShutdown } from './runtime.ts';

// `npm start`: the HTTP server, and in the embedded default also the job workers.
const { config, deps, release } = await boot();
const app = await buildApp(deps);
if (config.runWorkers) await startWorkers(deps, { firstTickAfterMs: startupSettleMs });

const closeControl = await startControlSocket(deps, config.dataDir);

onShutdown(deps, async () => {
  await closeControl();
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
if (deps.providers.size === 0 && config.signinLinks) {
  // No OAuth app configured: a way in for trying Cloop (never in production unless enabled).
  console.log(`Sign-in link: ${await firstOwnerSigninLink(deps)}`);
}
