import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parseAllowList } from './platform/fetch/allow-list.ts';

/** The four rate-limit tiers every route belongs to. */
export const rateTiers = ['chat', 'auth', 'admin', 'public'] as const;
export type RateTier = (typeof rateTiers)[number];

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** `<max>/<seconds>`, e.g. `60/60` = 60 requests per sliding minute. */
const rate = z
  .string()
  .regex(/^\d+\/\d+$/, 'expected <max>/<seconds>, e.g. 60/60')
  .transform((v) => {
    const [max, seconds] = v.split('/').map(Number) as [number, number];
    return { max, windowMs: seconds * 1000 };
  })
  .refine((r) => r.max > 0 && r.windowMs > 0, 'both numbers must be positive');

const list = z.string().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('localhost'),
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  CLOOP_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'expected postgres://…').optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  CLOOP_ALLOW_EMBEDDED_DB: bool.default(false),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'expected redis://…').optional(),
  REDIS_KEY_PREFIX: z.string().regex(/^[\w:.-]{1,64}$/, 'letters, digits and : . - _ only').default('cloop:'),
  S3_ENDPOINT: z.url().optional(),
  S3_BUCKET: z.string().min(3).optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  S3_FORCE_PATH_STYLE: bool.default(true),
  CLOOP_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  TRUSTED_PROXIES: list.default([]),
  RATE_LIMIT_CHAT: rate.default({ max: 20, windowMs: 60_000 }),
  RATE_LIMIT_AUTH: rate.default({ max: 30, windowMs: 60_000 }),
  RATE_LIMIT_ADMIN: rate.default({ max: 300, windowMs: 60_000 }),
  RATE_LIMIT_PUBLIC: rate.default({ max: 600, windowMs: 60_000 }),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(100 * 1024 * 1024).default(1024 * 1024),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).default(30_000),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  SECURITY_CONTACT: z.string().regex(/^(mailto:|https:\/\/)/, 'expected mailto:… or https://…').default('mailto:security@localhost'),
  SECURITY_TXT_EXPIRES: z.iso.datetime({ offset: true }).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FILE: z.string().min(1).optional(),
  AUDIT_LOG_FILE: z.string().min(1).optional(),
  WIDGET_ASSETS_DIR: z.string().min(1).optional(),
  DASHBOARD_ASSETS_DIR: z.string().min(1).optional(),
  CLOOP_WORKERS: bool.optional(),
  GOOGLE_CLIENT_ID: z.string().min(1).optional(),
  GOOGLE_CLIENT_SECRET: z.string().min(1).optional(),
  GOOGLE_ISSUER: z.url().default('https://accounts.google.com'),
  MICROSOFT_CLIENT_ID: z.string().min(1).optional(),
  MICROSOFT_CLIENT_SECRET: z.string().min(1).optional(),
  MICROSOFT_ISSUER: z.url().default('https://login.microsoftonline.com/common/v2.0'),
  GITHUB_CLIENT_ID: z.string().min(1).optional(),
  GITHUB_CLIENT_SECRET: z.string().min(1).optional(),
  GITHUB_URL: z.url().default('https://github.com'),
  GITHUB_API_URL: z.url().default('https://api.github.com'),
  CLOOP_ENABLE_SIGNIN_LINKS: bool.optional(),
  FETCH_ALLOW_LIST: list.default([]),
  FETCH_EXTRA_PORTS: z.string().regex(/^\d{1,5}(,\d{1,5})*$/, 'comma-separated port numbers').transform((v) => v.split(',').map(Number)).default([]),
  CRAWL_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(4),
  CRAWL_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(100),
  EMBEDDINGS_PROVIDER: z.enum(['local', 'openai']).default('local'),
  EMBEDDINGS_BASE_URL: z.url().default('https://api.studio.nebius.com/v1/'),
  EMBEDDINGS_API_KEY: z.string().min(1).optional(),
  EMBEDDINGS_MODEL: z.string().min(1).default('Qwen/Qwen3-Embedding-8B'),
  EMBEDDINGS_PRICE_PER_MTOK: z.coerce.number().min(0).default(0.01),
  LLM_PROVIDER: z.enum(['offline', 'openai']).default('offline'),
  LLM_BASE_URL: z.url().default('https://api.studio.nebius.com/v1/'),
  LLM_API_KEY: z.string().min(1).optional(),
  LLM_MODEL: z.string().min(1).default('meta-llama/Llama-3.3-70B-Instruct'),
  LLM_PRICE_INPUT_PER_MTOK: z.coerce.number().min(0).default(0.13),
  LLM_PRICE_OUTPUT_PER_MTOK: z.coerce.number().min(0).default(0.4),
  LLM_MAX_OUTPUT_TOKENS: z.coerce.number().int().min(50).max(4000).default(700),
  CHAT_LIMIT_PER_VISITOR: rate.default({ max: 15, windowMs: 60_000 }),
  CHAT_LIMIT_PER_SITE: rate.default({ max: 600, windowMs: 60_000 }),
  CHAT_NEW_CONVERSATIONS_PER_IP: rate.default({ max: 20, windowMs: 3_600_000 }),
  CHAT_MAX_STREAMS_PER_SITE: z.coerce.number().int().min(1).max(10_000).default(100),
  VISITOR_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3600),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(900).default(600),
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(90).default(30),
});

/** Every environment variable Cloop reads (deploy files are checked against it). */
export const settingNames: readonly string[] = Object.keys(envSchema.shape);

/** The validated, frozen settings every part of Cloop receives. Only this module reads `process.env`. */
export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  publicUrl: string;
  dataDir: string;
  database: { kind: 'pglite'; dir: string | null } | { kind: 'postgres'; url: string; poolMax: number };
  state: { kind: 'memory' } | { kind: 'redis'; url: string; keyPrefix: string };
  storage:
    | { kind: 'fs'; dir: string }
    | { kind: 's3'; endpoint?: string; bucket: string; region: string; accessKeyId?: string; secretAccessKey?: string; forcePathStyle: boolean };
  secret: string;
  trustedProxies: string[];
  rateLimits: Record<RateTier, { max: number; windowMs: number }>;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  shutdownTimeoutMs: number;
  securityTxt: { contact: string; expires: string };
  log: { level: string; file?: string };
  /** Where the audit stream's JSON lines go (besides the audit_events table). */
  auditLogFile: string;
  /** Built front-ends (default: `dist/widget`, `dist/dashboard` in the repository). */
  assets: { widgetDir?: string; dashboardDir?: string };
  /** Whether this process runs the job workers (embedded default: yes). */
  runWorkers: boolean;
  /** Enabled sign-in providers (each by its client id and secret). */
  oauth: {
    google?: OidcProviderConfig;
    microsoft?: OidcProviderConfig;
    github?: { clientId: string; clientSecret: string; webUrl: string; apiUrl: string };
  };
  /** Single-use sign-in links (no OAuth app): on outside production unless turned off. */
  signinLinks: boolean;
  tokens: { accessTtlSeconds: number; refreshTtlDays: number };
  /** Outbound HTTP (crawler, sitemaps, robots.txt, providers): allowed ports, operator allow-list, bot identity. */
  fetch: { allowedPorts: number[]; allowList: string[]; userAgent: string };
  /** The crawler's manners. */
  crawl: { concurrency: number; delayMs: number };
  llm: { provider: 'offline'; model: string } | { provider: 'openai'; baseUrl: string; apiKey: string; model: string };
  /** Prices in USD per million tokens, for metering and the budget. */
  llmPrices: { inputPerMTok: number; outputPerMTok: number };
  chat: {
    maxOutputTokens: number;
    perVisitor: { max: number; windowMs: number };
    perSite: { max: number; windowMs: number };
    newConversationsPerIp: { max: number; windowMs: number };
    maxStreamsPerSite: number;
    visitorTokenTtlSeconds: number;
  };
  embeddings: { provider: 'local' } | { provider: 'openai'; baseUrl: string; apiKey: string; model: string; pricePerMillionTokens: number };
}

/** An OpenID Connect provider found by discovery at `issuer`. */
export interface OidcProviderConfig {
  clientId: string;
  clientSecret: string;
  issuer: string;
}

/** Thrown when the environment is invalid; `problems` lists every one of them. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads, validates and freezes the configuration; reports every problem at once. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || 'environment'}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  const production = e.NODE_ENV === 'production';
  const dataDir = path.resolve(e.CLOOP_DATA_DIR);

  if (e.S3_BUCKET === undefined && (e.S3_ENDPOINT || e.S3_ACCESS_KEY_ID)) problems.push('S3_BUCKET: required when any S3_ setting is given');
  if (Boolean(e.S3_ACCESS_KEY_ID) !== Boolean(e.S3_SECRET_ACCESS_KEY)) problems.push('S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY: give both or neither');
  for (const p of ['GOOGLE', 'MICROSOFT', 'GITHUB'] as const) {
    if (Boolean(e[`${p}_CLIENT_ID`]) !== Boolean(e[`${p}_CLIENT_SECRET`])) problems.push(`${p}_CLIENT_ID / ${p}_CLIENT_SECRET: give both or neither`);
  }
  if (e.LLM_PROVIDER === 'openai' && !e.LLM_API_KEY) problems.push('LLM_API_KEY: required when LLM_PROVIDER=openai');
  if (e.EMBEDDINGS_PROVIDER === 'openai' && !e.EMBEDDINGS_API_KEY) problems.push('EMBEDDINGS_API_KEY: required when EMBEDDINGS_PROVIDER=openai');
  if (production) {
    if (!e.CLOOP_SECRET) problems.push('CLOOP_SECRET: required in production (at least 32 random characters)');
    if (!e.REDIS_URL) problems.push('REDIS_URL: required in production (the in-process state store cannot be shared between processes)');
    if (!e.DATABASE_URL && !e.CLOOP_ALLOW_EMBEDDED_DB) problems.push('DATABASE_URL: required in production (or set CLOOP_ALLOW_EMBEDDED_DB=true to accept the embedded database)');
    if (!e.PUBLIC_URL) problems.push('PUBLIC_URL: required in production (the https address users reach)');
  }
  try {
    parseAllowList(e.FETCH_ALLOW_LIST);
  } catch (err) {
    problems.push(`FETCH_ALLOW_LIST: ${(err as Error).message}`);
  }
  if (problems.length) throw new ConfigError(problems);

  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  const config: Config = {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    publicUrl,
    dataDir,
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL, poolMax: e.DATABASE_POOL_MAX }
      : { kind: 'pglite', dir: path.join(dataDir, 'pglite') },
    state: e.REDIS_URL ? { kind: 'redis', url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX } : { kind: 'memory' },
    storage: e.S3_BUCKET
      ? {
          kind: 's3',
          bucket: e.S3_BUCKET,
          region: e.S3_REGION,
          forcePathStyle: e.S3_FORCE_PATH_STYLE,
          ...(e.S3_ENDPOINT ? { endpoint: e.S3_ENDPOINT } : {}),
          ...(e.S3_ACCESS_KEY_ID ? { accessKeyId: e.S3_ACCESS_KEY_ID, secretAccessKey: e.S3_SECRET_ACCESS_KEY } : {}),
        }
      : { kind: 'fs', dir: path.join(dataDir, 'files') },
    secret: e.CLOOP_SECRET ?? '',
    trustedProxies: e.TRUSTED_PROXIES,
    rateLimits: { chat: e.RATE_LIMIT_CHAT, auth: e.RATE_LIMIT_AUTH, admin: e.RATE_LIMIT_ADMIN, public: e.RATE_LIMIT_PUBLIC },
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    securityTxt: {
      contact: e.SECURITY_CONTACT,
      expires: e.SECURITY_TXT_EXPIRES ?? new Date(Date.now() + 180 * 86_400_000).toISOString(),
    },
    log: { level: e.LOG_LEVEL, ...(e.LOG_FILE ? { file: e.LOG_FILE } : {}) },
    auditLogFile: path.resolve(e.AUDIT_LOG_FILE ?? path.join(dataDir, 'audit.log')),
    assets: {
      ...(e.WIDGET_ASSETS_DIR ? { widgetDir: path.resolve(e.WIDGET_ASSETS_DIR) } : {}),
      ...(e.DASHBOARD_ASSETS_DIR ? { dashboardDir: path.resolve(e.DASHBOARD_ASSETS_DIR) } : {}),
    },
    runWorkers: e.CLOOP_WORKERS ?? !e.DATABASE_URL,
    oauth: {
      ...(e.GOOGLE_CLIENT_ID && e.GOOGLE_CLIENT_SECRET
        ? { google: { clientId: e.GOOGLE_CLIENT_ID, clientSecret: e.GOOGLE_CLIENT_SECRET, issuer: e.GOOGLE_ISSUER } }
        : {}),
      ...(e.MICROSOFT_CLIENT_ID && e.MICROSOFT_CLIENT_SECRET
        ? { microsoft: { clientId: e.MICROSOFT_CLIENT_ID, clientSecret: e.MICROSOFT_CLIENT_SECRET, issuer: e.MICROSOFT_ISSUER } }
        : {}),
      ...(e.GITHUB_CLIENT_ID && e.GITHUB_CLIENT_SECRET
        ? { github: { clientId: e.GITHUB_CLIENT_ID, clientSecret: e.GITHUB_CLIENT_SECRET, webUrl: e.GITHUB_URL, apiUrl: e.GITHUB_API_URL } }
        : {}),
    },
    signinLinks: e.CLOOP_ENABLE_SIGNIN_LINKS ?? !production,
    tokens: { accessTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS, refreshTtlDays: e.REFRESH_TOKEN_TTL_DAYS },
    fetch: { allowedPorts: [80, 443, ...e.FETCH_EXTRA_PORTS], allowList: e.FETCH_ALLOW_LIST, userAgent: `CloopBot/1.0 (+${publicUrl})` },
    crawl: { concurrency: e.CRAWL_CONCURRENCY, delayMs: e.CRAWL_DELAY_MS },
    llm: e.LLM_PROVIDER === 'openai' ? { provider: 'openai', baseUrl: e.LLM_BASE_URL, apiKey: e.LLM_API_KEY!, model: e.LLM_MODEL } : { provider: 'offline', model: 'cloop-offline-extractive-v1' },
    llmPrices: { inputPerMTok: e.LLM_PRICE_INPUT_PER_MTOK, outputPerMTok: e.LLM_PRICE_OUTPUT_PER_MTOK },
    chat: {
      maxOutputTokens: e.LLM_MAX_OUTPUT_TOKENS,
      perVisitor: e.CHAT_LIMIT_PER_VISITOR,
      perSite: e.CHAT_LIMIT_PER_SITE,
      newConversationsPerIp: e.CHAT_NEW_CONVERSATIONS_PER_IP,
      maxStreamsPerSite: e.CHAT_MAX_STREAMS_PER_SITE,
      visitorTokenTtlSeconds: e.VISITOR_TOKEN_TTL_SECONDS,
    },
    embeddings:
      e.EMBEDDINGS_PROVIDER === 'openai'
        ? { provider: 'openai', baseUrl: e.EMBEDDINGS_BASE_URL, apiKey: e.EMBEDDINGS_API_KEY!, model: e.EMBEDDINGS_MODEL, pricePerMillionTokens: e.EMBEDDINGS_PRICE_PER_MTOK }
        : { provider: 'local' },
  };
  return deepFreeze(config);
}

/**
 * Outside production, a missing CLOOP_SECRET is generated once and kept in the data directory,
 * so tokens survive restarts without any setup.
 */
export function withLocalSecret(config: Config): Config {
  if (config.secret) return config;
  const file = path.join(config.dataDir, 'secret.key');
  let secret: string;
  if (existsSync(file)) secret = readFileSync(file, 'utf8').trim();
  else {
    mkdirSync(config.dataDir, { recursive: true });
    secret = randomBytes(32).toString('base64url');
    writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
  }
  return deepFreeze({ ...structuredClone(config), secret });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
