import { ConfigError, loadConfig, withLocalSecret, type Config } from './config.ts';
import { DataDirLockedError, lockDataDir } from './db/data-dir-lock.ts';
import { createDeps, type Deps } from './deps.ts';

/**
 * Loads the config (printing every problem and exiting non-zero when it is invalid),
 * locks the data directory for the embedded database, and builds the adapters.
 */
export async function boot(): Promise<{ config: Config; deps: Deps; release: () => void }> {
  let config: Config;
  try {
    config = withLocalSecret(loadConfig());
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  let release = () => {};
  try {
    if (config.database.kind === 'pglite') release = lockDataDir(config.dataDir);
    const deps = await createDeps(config);
    return { config, deps, release };
  } catch (err) {
    release();
    if (err instanceof DataDirLockedError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

/**
 * Runs `stop` once on SIGINT/SIGTERM, then exits; a second signal or the shutdown timeout forces the exit.
 * Unhandled rejections are logged, never fatal.
 */
export function onShutdown(deps: Deps, stop: () => Promise<void>): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      deps.logger.warn({ signal }, 'forced exit');
      process.exit(1);
    }
    stopping = true;
    deps.logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      deps.logger.error('shutdown timed out');
      process.exit(1);
    }, deps.config.shutdownTimeoutMs + 2_000);
    timer.unref();
    stop().then(
      () => process.exit(0),
      (err) => {
        deps.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('unhandledRejection', (err) => deps.logger.error({ err }, 'unhandled rejection'));
}
