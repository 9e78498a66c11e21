import type { DestinationStream, Logger } from 'pino';
import { createAudit, type Audit } from './audit/audit.ts';
import { createKeyRing, type KeyRing } from './auth/keys.ts';
import { createSignInProviders, type ProviderId, type SignInProvider } from './auth/providers/provider.ts';
import type { Config } from './config.ts';
import { openDatabase, type Database } from './db/database.ts';
import { createLogger } from './http/logger.ts';
import type { Embedder } from './platform/embeddings/embedder.ts';
import { createLocalEmbedder } from './platform/embeddings/local.ts';
import { createOpenAiEmbedder } from './platform/embeddings/openai.ts';
import { fetcherAsFetch, fetcherAsStream } from './platform/fetch/as-fetch.ts';
import { createOfflineChatModel } from './platform/llm/offline.ts';
import { createOpenAiChatModel } from './platform/llm/openai.ts';
import type { ChatModel } from './platform/llm/types.ts';
import { createFetcher, type Fetcher } from './platform/fetch/fetcher.ts';
import { createJobQueue, type JobQueue } from './platform/queue/queue.ts';
import { createMemoryStateStore } from './platform/state/memory.ts';
import type { StateStore } from './platform/state/state-store.ts';
import { createFsObjectStore } from './platform/storage/fs.ts';
import type { ObjectStore } from './platform/storage/object-store.ts';

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
  /** The one SSRF-safe way out to the network. */
  fetcher: Fetcher;
  /** Vectors for chunks and questions. */
  embedder: Embedder;
  /** The answer generator: an OpenAI-compatible provider, or the offline extractive answerer. */
  llm: ChatModel;
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
  embedder?: Embedder;
  llm?: ChatModel;
}

/** Builds the adapters the config names; anything in `overrides` is used as given. */
export async function createDeps(config: Config, overrides: DepsOverrides = {}): Promise<Deps> {
  const logger = createLogger({ level: config.log.level, ...(config.log.file ? { file: config.log.file } : {}), ...(overrides.logStream ? { stream: overrides.logStream } : {}) });
  // The Redis and S3 clients (~15 MB of modules) are loaded only when configured.
  const state =
    overrides.state ??
    (config.state.kind === 'redis'
      ? (await import('./platform/state/redis.ts')).createRedisStateStore(config.state.url, {
          keyPrefix: config.state.keyPrefix,
          onError: (err) => logger.warn({ err: err.message }, 'state store connection error'),
        })
      : createMemoryStateStore());
  const storage =
    overrides.storage ?? (config.storage.kind === 's3' ? (await import('./platform/storage/s3.ts')).createS3ObjectStore(config.storage) : createFsObjectStore(config.storage.dir));
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
  const fetcher = createFetcher({ ...config.fetch, onAllowListUse: (url) => logger.warn({ url }, 'fetch allow-list used') });
  return {
    config,
    logger,
    fetcher,
    embedder: overrides.embedder ?? createEmbedder(config, fetcher, logger),
    llm:
      overrides.llm ??
      (config.llm.provider === 'openai'
        ? createOpenAiChatModel({ baseUrl: config.llm.baseUrl, apiKey: config.llm.apiKey, model: config.llm.model, stream: fetcherAsStream(fetcher, { totalMs: 120_000 }) })
        : createOfflineChatModel({ model: config.llm.model })),
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
      await Promise.allSettled([state.close(), storage.close(), fetcher.close()]);
      if (!overrides.database) await database.close();
      logger.flush();
      auditLogger.flush();
    },
  };
}

/**
 * The configured embedder. The index holds 384-dimension vectors, so a provider model must return
 * (or be truncated to) 384 dimensions: Matryoshka-trained models such as Qwen3-Embedding are.
 */
function createEmbedder(config: Config, fetcher: Fetcher, logger: Logger): Embedder {
  const e = config.embeddings;
  if (e.provider === 'local') return createLocalEmbedder();
  return createOpenAiEmbedder({
    baseUrl: e.baseUrl,
    apiKey: e.apiKey,
    model: e.model,
    dimension: 384,
    sendDimensions: true,
    truncate: true,
    pricePerMillionTokens: e.pricePerMillionTokens,
    fetch: fetcherAsFetch(fetcher, { totalMs: 35_000 }),
    onRetry: (info) => logger.warn(info, 'embeddings provider retry'),
  });
}
