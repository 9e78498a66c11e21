import type { DestinationStream, Logger } from 'pino';
import { createAudit, type Audit } from './audit/audit.ts';
import { createKeyRing, type KeyRing } from './auth/keys.ts';
import { createSignInProviders, type ProviderId, type SignInProvider } from './auth/providers/provider.ts';
import type { Config } from './config.ts';
import { openDatabase, type Database } from './db/database.ts';
import { createLogger } from './http/logger.ts';
import { createJobQueue, type JobQueue } from './platform/queue/queue.ts';
import { createMemoryStateStore } from './platform/state/memory.ts';
import { createRedisStateStore } from './platform/state/redis.ts';
import type { StateStore } from './platform/state/state-store.ts';
import { createFsObjectStore } from './platform/storage/fs.ts';
import type { ObjectStore } from './platform/storage/object-store.ts';
import { createS3ObjectStore } from './platform/storage/s3.ts';

/** Everything a feature may use, built once from the config and passed down. */
export interface Deps {
  config: Config;
  logger: Logger;
  database: Database;
  state: StateStore;
  storage: ObjectStore;
  queue: JobQueue;
  /** Signing keys for access tokens. */
  keys: KeyRing;
  /** The audit recorder (table + dedicated JSON stream). */
  audit: Audit;
  /** The enabled sign-in providers. */
  providers: Map<ProviderId, SignInProvider>;
  /** Closes every adapter (queue first, database last). */
  close(): Promise<void>;
}

/** Adapters a caller (a test, the benchmark) brings instead of the configured ones. */
export interface DepsOverrides {
  database?: Database;
  state?: StateStore;
  storage?: ObjectStore;
  logStream?: DestinationStream;
  auditStream?: DestinationStream;
}

/** Builds the adapters the config names; anything in `overrides` is used as given. */
export async function createDeps(config: Config, overrides: DepsOverrides = {}): Promise<Deps> {
  const logger = createLogger({ level: config.log.level, ...(config.log.file ? { file: config.log.file } : {}), ...(overrides.logStream ? { stream: overrides.logStream } : {}) });
  const state =
    overrides.state ??
    (config.state.kind === 'redis'
      ? createRedisStateStore(config.state.url, { keyPrefix: config.state.keyPrefix, onError: (err) => logger.warn({ err: err.message }, 'state store connection error') })
      : createMemoryStateStore());
  const storage = overrides.storage ?? (config.storage.kind === 's3' ? createS3ObjectStore(config.storage) : createFsObjectStore(config.storage.dir));
  const database = overrides.database ?? (await openDatabase(config.database));
  let queue: JobQueue;
  try {
    queue = await createJobQueue(database);
  } catch (err) {
    if (!overrides.database) await database.close().catch(() => {});
    throw err;
  }
  const auditLogger = createLogger({
    level: 'info',
    name: 'cloop-audit',
    ...(overrides.auditStream ? { stream: overrides.auditStream } : { file: config.auditLogFile }),
  });
  return {
    config,
    logger,
    database,
    state,
    storage,
    queue,
    keys: createKeyRing(database.db, config.secret),
    audit: createAudit(auditLogger),
    // http:// issuers are accepted on loopback only, and never in production.
    providers: createSignInProviders(config.oauth, { allowInsecureHttp: config.env !== 'production' }),
    async close() {
      await queue.stop({ graceful: true, timeoutMs: config.shutdownTimeoutMs });
      await Promise.allSettled([state.close(), storage.close()]);
      if (!overrides.database) await database.close();
      logger.flush();
      auditLogger.flush();
    },
  };
}
