import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../server/db/database.ts';
import { openTestDatabase, testDatabaseUrl } from './harness.ts';

/**
 * A test database whose job queue no other test file shares. Job workers take any job of their
 * queue, so two files running workers on one database would run each other's crawls with the
 * wrong allow-list and storage folder. PGlite is already private to its file; on the server run
 * this creates a fresh database next to the shared one and drops it on close.
 */
export async function openIsolatedTestDatabase(): Promise<Database> {
  if (!testDatabaseUrl) return openTestDatabase();
  const name = `cloop_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: testDatabaseUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(testDatabaseUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ kind: 'postgres', url: url.toString(), poolMax: 5 });
  return {
    ...database,
    async close() {
      await database.close();
      const client = new pg.Client({ connectionString: testDatabaseUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
