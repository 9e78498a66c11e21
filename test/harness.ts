import { openDatabase, type Database } from '../server/db/database.ts';

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
