import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/database.ts';
import { withSystem, withTenant } from '../../db/tenant.ts';
import { eventually, openTestDatabase } from '../../../test/harness.ts';
import { createJobQueue, type JobQueue } from './queue.ts';

let database: Database;
let queue: JobQueue;
let tenantId: string;

beforeAll(async () => {
  database = await openTestDatabase();
  queue = await createJobQueue(database, { pollingIntervalSeconds: 0.5 });
  tenantId = await withSystem(database.db, async (tx) =>
    (await tx.insertInto('tenants').values({ name: 'queue test' }).returning('id').executeTakeFirstOrThrow()).id,
  );
}, 60_000);

afterAll(async () => {
  await queue?.stop({ graceful: false });
  await database?.close();
});

const queueName = () => `test-${randomUUID().slice(0, 8)}`;

describe('job queue', () => {
  it('runs a job sent inside a tenant transaction once, after commit', async () => {
    const name = queueName();
    await queue.define(name);
    const seen: string[] = [];
    await queue.work<{ marker: string }>(name, async (data) => {
      seen.push(data.marker);
    });
    await withTenant(database.db, tenantId, async (tx) => {
      await queue.send(name, { marker: 'committed' }, { tx });
      // The tenant binding and the application role survive the send.
      const role = await sql<{ role: string }>`select current_user as role`.execute(tx);
      expect(role.rows[0]?.role).toBe('cloop_app');
      expect(await tx.selectFrom('tenants').select('id').execute()).toEqual([{ id: tenantId }]);
    });
    await eventually(() => seen.length === 1);
    await new Promise((r) => setTimeout(r, 1500));
    expect(seen).toEqual(['committed']);
  });

  it('never runs a job whose transaction rolled back', async () => {
    const name = queueName();
    await queue.define(name);
    const seen: string[] = [];
    await queue.work<{ marker: string }>(name, async (data) => {
      seen.push(data.marker);
    });
    await expect(
      withTenant(database.db, tenantId, async (tx) => {
        await queue.send(name, { marker: 'rolled back' }, { tx });
        throw new Error('abort the write');
      }),
    ).rejects.toThrow('abort the write');
    await queue.send(name, { marker: 'after' });
    await eventually(() => seen.length === 1);
    await new Promise((r) => setTimeout(r, 1500));
    expect(seen).toEqual(['after']);
  });

  it('runs periodic work once per slot, however many processes ask and also after it ran', async () => {
    const name = queueName();
    await queue.define(name);
    let runs = 0;
    await queue.work(name, async () => void runs++);
    const ask = () => queue.send(name, {}, { singletonKey: 'periodic', oncePerSeconds: 3600 });
    const hour = Math.floor(Date.now() / 3_600_000);
    expect(await ask()).toBeTruthy();
    expect(await ask()).toBeNull();
    await eventually(() => runs === 1);
    // Another process asking later in the same hour, after the sweep has run, gets nothing queued.
    await eventually(async () => (await database.executeSql(`select 1 from pgboss.job where name = $1 and state = 'completed'`, [name])).rows.length === 1);
    // (Unless the clock crossed into the next hour meanwhile: that is a new slot.)
    if (Math.floor(Date.now() / 3_600_000) === hour) expect(await ask()).toBeNull();
    // Without the slot, a finished singleton may be queued again.
    expect(await queue.send(name, {}, { singletonKey: 'periodic' })).toBeTruthy();
    await eventually(() => runs === 2);
  });

  it('retries a failing job until it succeeds', async () => {
    const name = queueName();
    await queue.define(name, { retryLimit: 3, retryDelaySeconds: 1, retryBackoff: false });
    const attempts: number[] = [];
    await queue.work(name, async (_data, job) => {
      attempts.push(job.retryCount);
      if (attempts.length < 3) throw new Error('transient failure');
    });
    await queue.send(name, {});
    await eventually(() => attempts.length === 3, 20_000);
    expect(attempts).toEqual([0, 1, 2]);
  });

  it('starts a job sent in this process without waiting for the next poll, also after a commit', async () => {
    const slow = await createJobQueue(database, { pollingIntervalSeconds: 20 });
    try {
      const name = queueName();
      await slow.define(name);
      const started: number[] = [];
      await slow.work<{ marker: string }>(name, async () => {
        started.push(Date.now());
      });
      // Let the worker's first fetch find the queue empty: from here it would sleep 20 s.
      await new Promise((r) => setTimeout(r, 1000));
      let sentAt = Date.now();
      await slow.send(name, { marker: 'plain' });
      await eventually(() => started.length === 1, 10_000);
      expect(started[0]! - sentAt).toBeLessThan(5_000);
      sentAt = Date.now();
      await withTenant(database.db, tenantId, (tx) => slow.send(name, { marker: 'in a transaction' }, { tx }));
      await eventually(() => started.length === 2, 10_000);
      expect(started[1]! - sentAt).toBeLessThan(5_000);
    } finally {
      await slow.stop({ graceful: false });
    }
  });

  it('keeps a job across a worker restart', async () => {
    const name = queueName();
    await queue.define(name);
    // Sent while no worker runs (the previous worker was stopped).
    const id = await queue.send(name, { marker: 'survivor' });
    expect(id).toBeTruthy();
    const second = await createJobQueue(database, { pollingIntervalSeconds: 0.5 });
    const seen: string[] = [];
    try {
      await second.work<{ marker: string }>(name, async (data) => {
        seen.push(data.marker);
      });
      await eventually(() => seen.length === 1);
      expect(seen).toEqual(['survivor']);
    } finally {
      await second.stop({ graceful: false });
    }
  });
});
