import { CompiledQuery, sql, type Transaction } from 'kysely';
import { PgBoss, type Job } from 'pg-boss';
import type { Database } from '../../db/database.ts';
import { appRole } from '../../db/database.ts';
import type { DB } from '../../db/schema.ts';
import { afterCommit } from '../../db/tenant.ts';

/** How a queue retries and expires its jobs. */
export interface QueueDefinition {
  retryLimit?: number;
  retryDelaySeconds?: number;
  retryBackoff?: boolean;
  /** How long one attempt may run before it counts as failed and is retried (worker crash). */
  expireInSeconds?: number;
}

/** How a job is sent: inside a transaction, as a singleton, later, or in a group (e.g. its tenant). */
export interface SendOptions {
  tx?: Transaction<DB>;
  singletonKey?: string;
  /**
   * At most one job of this name (and singletonKey) per slot of this many seconds, counting jobs
   * that already ran: periodic work asked for by every process runs once per slot.
   */
  oncePerSeconds?: number;
  startAfterSeconds?: number;
  /** Jobs of one group (a tenant) share the group's concurrency cap, across every worker process. */
  group?: { id: string; tier?: string };
}

/** How a worker takes jobs: in parallel, and at most `groupConcurrency` at once per group. */
export interface WorkOptions {
  concurrency?: number;
  groupConcurrency?: { default: number; tiers?: Record<string, number> };
}

/** Handles one job; throwing marks the attempt failed (and retried while the limit allows). */
export type JobHandler<T> = (data: T, job: { id: string; retryCount: number }) => Promise<void>;

/**
 * Durable jobs in PostgreSQL (pg-boss) on both engines. A job sent with `tx` is part of that
 * transaction: it runs after commit, never after rollback.
 */
export interface JobQueue {
  /** Creates the queue if missing (idempotent). */
  define(name: string, def?: QueueDefinition): Promise<void>;
  /** Enqueues a job, inside `tx` when given; returns its id (null when a singleton already exists). */
  send(name: string, data: object, opts?: SendOptions): Promise<string | null>;
  /** Starts handling jobs of `name` in this process. */
  work<T>(name: string, handler: JobHandler<T>, opts?: WorkOptions): Promise<void>;
  /** Stops fetching; with `graceful`, waits for running jobs to finish. */
  stop(opts?: { graceful?: boolean; timeoutMs?: number }): Promise<void>;
}

/**
 * Several processes starting at once on a fresh database race to create pg-boss's schema; the
 * losers see a duplicate-object error and simply start again once the winner is done.
 */
async function startWithRetry(boss: PgBoss): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await boss.start();
      return;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (attempt >= 5 || !['23505', '42P06', '42P07', '42710'].includes(code ?? '')) throw err;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

/** Starts pg-boss on the database (creating its schema on first use). */
export async function createJobQueue(database: Database, opts: { pollingIntervalSeconds?: number } = {}): Promise<JobQueue> {
  const boss = new PgBoss({
    db: { executeSql: database.executeSql },
    backend: database.kind === 'pglite' ? 'pglite' : 'postgres',
    schema: 'pgboss',
    schedule: false,
    supervise: true,
    monitorVacuum: false,
    reindex: false,
  });
  // Errors of the maintenance loop (e.g. a database outage) are retried by pg-boss itself.
  boss.on('error', () => {});
  await startWithRetry(boss);
  const polling = opts.pollingIntervalSeconds ?? 1;
  // This process's workers per queue: a job sent here wakes them at once instead of after their next poll.
  const workers = new Map<string, string[]>();
  const wake = (name: string) => {
    for (const id of workers.get(name) ?? []) boss.notifyWorker(id);
  };

  return {
    async define(name, def = {}) {
      const existing = await boss.getQueue(name);
      if (existing) return;
      await boss.createQueue(name, {
        retryLimit: def.retryLimit ?? 3,
        retryDelay: def.retryDelaySeconds ?? 5,
        retryBackoff: def.retryBackoff ?? true,
        expireInSeconds: def.expireInSeconds ?? 15 * 60,
      }).catch(async (err) => {
        // Another process created it at the same moment.
        if (!(await boss.getQueue(name))) throw err;
      });
    },

    async send(name, data, o = {}) {
      const options = {
        ...(o.singletonKey ? { singletonKey: o.singletonKey } : {}),
        ...(o.oncePerSeconds ? { singletonSeconds: o.oncePerSeconds } : {}),
        ...(o.startAfterSeconds ? { startAfter: o.startAfterSeconds } : {}),
        ...(o.group ? { group: o.group } : {}),
      };
      const tx = o.tx;
      if (!tx) {
        const id = await boss.send(name, data, options);
        wake(name);
        return id;
      }
      // Inside a tenant transaction: write the job as the owner for this one statement, then
      // return to the application role (the tenant binding is untouched).
      await sql`set local role none`.execute(tx);
      try {
        // The job becomes visible at commit; waking the workers earlier would find nothing.
        try {
          afterCommit(tx, () => wake(name));
        } catch {
          // A transaction not opened by withTenant/withSystem: the workers find the job at their next poll.
        }
        return await boss.send(name, data, {
          ...options,
          db: { executeSql: async (text, values) => ({ rows: [...(await tx.executeQuery(CompiledQuery.raw(text, values ?? []))).rows] }) },
        });
      } finally {
        await sql.raw(`set local role ${appRole}`).execute(tx);
      }
    },

    async work<T>(name: string, handler: JobHandler<T>, w: WorkOptions = {}) {
      const options = {
        pollingIntervalSeconds: polling,
        batchSize: 1,
        localConcurrency: w.concurrency ?? 1,
        ...(w.groupConcurrency ? { groupConcurrency: w.groupConcurrency } : {}),
      };
      const id = await boss.work<T>(name, options, async (jobs: Job<T>[]) => {
        for (const job of jobs) await handler(job.data, { id: job.id, retryCount: job.retryCount ?? 0 });
      });
      workers.set(name, [...(workers.get(name) ?? []), id]);
    },

    async stop(s = {}) {
      await boss.stop({ graceful: s.graceful ?? true, timeout: s.timeoutMs ?? 10_000, close: false });
    },
  };
}
