import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { buildApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { openDatabase, type Database } from '../server/db/database.ts';
import { createDeps, type DepsOverrides } from '../server/deps.ts';

/** The database URL of the server run (CI's second pass), or undefined for embedded PGlite. */
export const testDatabaseUrl = process.env.CLOOP_TEST_DATABASE_URL || undefined;
/** The Redis URL of the server run, or undefined for the in-process state store. */
export const testRedisUrl = process.env.CLOOP_TEST_REDIS_URL || undefined;
/** Which engine this run tests. */
export const testBackend = testDatabaseUrl ? 'postgres' : 'pglite';

/** Opens (and migrates) the test database: the shared server database, or a fresh in-memory PGlite. */
export function openTestDatabase(): Promise<Database> {
  return openDatabase(testDatabaseUrl ? { kind: 'postgres', url: testDatabaseUrl, poolMax: 5 } : { kind: 'pglite', dir: null });
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 10_000, stepMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** A log sink that keeps every line written, for tests that search the logs. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  /** Every line as one string. */
  text(): string {
    return this.lines.join('\n');
  }
}

/** Environment every test app starts from; each test overrides what it needs. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    CLOOP_DATA_DIR: path.join(os.tmpdir(), `cloop-test-${randomUUID()}`),
    CLOOP_SECRET: 'test-secret-test-secret-test-secret-0123456789',
    LOG_LEVEL: 'info',
    // Tests sign in many users from one address; rate-limit tests set their own limits.
    RATE_LIMIT_AUTH: '100000/60',
    RATE_LIMIT_ADMIN: '100000/60',
    // Each test app has its own Redis key space, as each has its own tenant.
    ...(testRedisUrl ? { REDIS_URL: testRedisUrl, REDIS_KEY_PREFIX: `test-${randomUUID()}:` } : {}),
    ...overrides,
  };
}

/** A test app on a shared test database, with captured logs; `close()` releases everything but the database. */
export async function buildTestApp(database: Database, env: Record<string, string> = {}, overrides: Omit<DepsOverrides, 'database' | 'logStream'> = {}) {
  const config = loadConfig(testEnv(env));
  const logs = new LogCapture();
  const deps = await createDeps(config, { ...overrides, database, logStream: logs });
  const app = await buildApp(deps);
  return {
    app,
    deps,
    logs,
    config,
    async close() {
      await app.close();
      await deps.close();
    },
  };
}
