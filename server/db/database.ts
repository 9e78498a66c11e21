import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { btree_gin } from '@electric-sql/pglite/contrib/btree_gin';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Config } from '../config.ts';
import { migrate } from './migrate.ts';
import { PGliteDialect, Serializer } from './pglite-dialect.ts';
import { ensureTemplate, seedFromTemplate } from './pglite-template.ts';
import type { DB } from './schema.ts';

/** Runs one SQL text (a bound statement, or a multi-statement script without values) as the owner. */
export type ExecuteSql = (text: string, values?: unknown[]) => Promise<{ rows: any[] }>;

/** One owner transaction's raw access: bound statements and multi-statement scripts (migrations). */
export interface RawTransaction {
  query(text: string, values?: unknown[]): Promise<{ rows: any[] }>;
  exec(script: string): Promise<void>;
}

/**
 * The database, whichever engine holds it. `db` works as the `cloop_app` role, which owns
 * nothing and cannot bypass row-level security; only migrations and the job queue work as owner.
 */
export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Kysely<DB>;
  /** Owner access for the job queue (serialized with `db` on PGlite). */
  readonly executeSql: ExecuteSql;
  /** Runs `fn` in one owner transaction (commit on success, rollback on throw). */
  rawTransaction<T>(fn: (tx: RawTransaction) => Promise<T>): Promise<T>;
  /**
   * Application connections a new transaction could take right now without waiting (idle ones and
   * room to open more, less those already waited for); always 0 on PGlite's single session.
   */
  spareConnections(): number;
  /** Throws when the database is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The role every application query runs as. */
export const appRole = 'cloop_app';

// int8 counts as JS numbers on both engines (ids and counters stay far below 2^53).
pg.types.setTypeParser(20, (v) => Number(v));

/**
 * Opens the configured database (a pg pool, or PGlite in `dir` or in memory) and applies pending
 * migrations. A new PGlite directory starts as a copy of the prepared template (see pglite-template.ts).
 */
export async function openDatabase(database: Config['database']): Promise<Database> {
  if (database.kind === 'pglite' && database.dir) await seedFromTemplate(database.dir, buildTemplate);
  return openMigrated(database);
}

/** Builds the template for new embedded data directories ahead of the first start; returns its directory. */
export function prepareTemplate(): Promise<string | null> {
  return ensureTemplate(buildTemplate);
}

/** The template: initialized, migrated, and with pg-boss's schema, then closed cleanly. */
async function buildTemplate(dir: string): Promise<void> {
  const database = await openMigrated({ kind: 'pglite', dir });
  try {
    // Imported here: the queue module depends on this one, and only a template build needs it.
    const { createJobQueue } = await import('../platform/queue/queue.ts');
    const queue = await createJobQueue(database);
    await queue.stop({ graceful: false });
  } finally {
    await database.close();
  }
}

async function openMigrated(database: Config['database']): Promise<Database> {
  const opened = database.kind === 'postgres' ? openPostgres(database.url, database.poolMax) : await openPGlite(database.dir);
  try {
    await migrate(opened);
    await opened.afterMigrate();
  } catch (err) {
    await opened.close().catch(() => {});
    throw err;
  }
  return opened;
}

type Opened = Database & { afterMigrate(): Promise<void> };

function openPostgres(url: string, poolMax: number): Opened {
  const poolOptions = { connectionString: url, connectionTimeoutMillis: 15_000, idleTimeoutMillis: 30_000 };
  // Application connections start as cloop_app; the server refuses them if the role is missing.
  const pool = new pg.Pool({ ...poolOptions, max: poolMax, application_name: 'cloop', options: `-c role=${appRole}` });
  const ownerPool = new pg.Pool({ ...poolOptions, max: 3, application_name: 'cloop-owner' });
  // A broken idle connection must not crash the process; the pool replaces it.
  // (A checked-out client that loses its connection fails its query; the event itself is not fatal.)
  for (const p of [pool, ownerPool]) {
    p.on('error', () => {});
    p.on('connect', (client) => client.on('error', () => {}));
  }
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    kind: 'postgres',
    db,
    executeSql: (text, values) => ownerPool.query(text, values as unknown[]),
    rawTransaction: async (fn) => {
      const client = await ownerPool.connect();
      try {
        await client.query('begin');
        const result = await fn({
          query: (text, values) => client.query(text, values as unknown[]),
          exec: async (script) => {
            await client.query(script);
          },
        });
        await client.query('commit');
        return result;
      } catch (err) {
        await client.query('rollback').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    spareConnections: () => pool.idleCount + Math.max(0, poolMax - pool.totalCount) - pool.waitingCount,
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    afterMigrate: async () => {},
    close: async () => {
      await db.destroy();
      await ownerPool.end();
    },
  };
}

/**
 * PGlite's own defaults plus a smaller buffer cache. Shared buffers are touched at start, so the
 * initdb default of 128 MB is 128 MB of resident memory; 16 MB holds a small site's working set
 * and the operating system's page cache holds the rest of the data directory.
 */
const pgliteStartParams = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

async function openPGlite(dir: string | null): Promise<Opened> {
  if (dir) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pglite = await PGlite.create({
    ...(dir ? { dataDir: dir } : {}),
    extensions: { vector, btree_gin },
    startParams: pgliteStartParams,
    parsers: { 20: (v: string) => Number(v) },
  });
  const serializer = new Serializer();
  // PGlite has one session: application work runs in it as cloop_app, owner work (the job queue,
  // migrations' bookkeeping) with the role reset. The role changes only when the kind of work
  // changes, not around every owner statement: the job queue's polling runs in streaks.
  let migrated = false; // the application role exists once migrations have run
  let sessionIsApp = false;
  const db = new Kysely<DB>({
    dialect: new PGliteDialect(pglite, serializer, async () => {
      if (migrated && !sessionIsApp) {
        await pglite.query(`set role ${appRole}`);
        sessionIsApp = true;
      }
    }),
  });
  const asOwner = async <T>(fn: () => Promise<T>): Promise<T> =>
    serializer.run(async () => {
      if (sessionIsApp) {
        await pglite.query('reset role');
        sessionIsApp = false;
      }
      return fn();
    });
  return {
    kind: 'pglite',
    db,
    executeSql: (text, values) =>
      asOwner(async () => {
        try {
          if (values?.length) return await pglite.query(text, values as unknown[]);
          // Without values the text may be a multi-statement script (the job queue's locked blocks).
          const results = await pglite.exec(text);
          return { rows: results.flatMap((r) => r.rows ?? []) };
        } catch (err) {
          // One session: never leave it inside an aborted transaction.
          await pglite.query('rollback').catch(() => {});
          throw err;
        }
      }),
    rawTransaction: (fn) =>
      asOwner(() =>
        pglite.transaction((tx) =>
          fn({
            query: (text, values) => tx.query(text, values as unknown[]),
            exec: async (script) => {
              await tx.exec(script);
            },
          }),
        ),
      ),
    spareConnections: () => 0,
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    afterMigrate: async () => {
      await serializer.run(async () => {
        await pglite.query(`set role ${appRole}`);
        migrated = true;
        sessionIsApp = true;
      });
    },
    close: async () => {
      await db.destroy();
      await serializer.run(() => pglite.close());
    },
  };
}
