import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../server/db/database.ts';
import { createRedisStateStore } from '../server/platform/state/redis.ts';
import { buildTestApp, eventually, openTestDatabase, testDatabaseUrl, testRedisUrl } from './harness.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

// Outages of the real services: a proxy between Cloop and the service is cut, then restored.
// PGlite and the in-process store live inside the process and cannot go down, so these run
// in the server pass (CLOOP_TEST_DATABASE_URL / CLOOP_TEST_REDIS_URL).

describe.runIf(testRedisUrl)('a Redis outage', () => {
  let database: Database;
  let proxy: TcpProxy;
  beforeAll(async () => {
    database = await openTestDatabase();
    const target = new URL(testRedisUrl!);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 6379));
  });
  afterAll(async () => {
    await proxy?.close();
    await database?.close();
  });

  it('turns requests into 503 service_unavailable and recovers without a restart', async () => {
    const state = createRedisStateStore(`redis://127.0.0.1:${proxy.port}`, { keyPrefix: `outage-${Date.now()}:` });
    const t = await buildTestApp(database, {}, { state });
    try {
      await eventually(async () => (await t.app.inject({ url: '/readyz' })).statusCode === 200);
      expect((await t.app.inject({ url: '/.well-known/security.txt' })).statusCode).toBe(200);

      await proxy.cut();
      const down = await eventually(async () => {
        const res = await t.app.inject({ url: '/.well-known/security.txt' });
        return res.statusCode === 503 ? res : null;
      });
      expect(down!.json().error.code).toBe('service_unavailable');
      const ready = await t.app.inject({ url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toEqual({ database: 'ok', state: 'unavailable' });
      expect((await t.app.inject({ url: '/healthz' })).statusCode).toBe(200);

      await proxy.restore();
      await eventually(async () => (await t.app.inject({ url: '/.well-known/security.txt' })).statusCode === 200, 15_000);
      expect((await t.app.inject({ url: '/readyz' })).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe.runIf(testDatabaseUrl)('a PostgreSQL outage', () => {
  let proxy: TcpProxy;
  let database: Database;
  beforeAll(async () => {
    const target = new URL(testDatabaseUrl!);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    const viaProxy = new URL(testDatabaseUrl!);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    database = await openDatabase({ kind: 'postgres', url: viaProxy.toString(), poolMax: 3 });
  });
  afterAll(async () => {
    await database?.close().catch(() => {});
    await proxy?.close();
  });

  it('turns requests into 503 service_unavailable and recovers without a restart', async () => {
    const t = await buildTestApp(database);
    t.app.get('/test/tenants', { config: { rateTier: 'public' } }, async () => ({
      count: (await database.db.selectFrom('tenants').select('id').execute()).length,
    }));
    try {
      expect((await t.app.inject({ url: '/test/tenants' })).statusCode).toBe(200);
      await proxy.cut();
      const down = await t.app.inject({ url: '/test/tenants' });
      expect(down.statusCode).toBe(503);
      expect(down.json().error.code).toBe('service_unavailable');
      const ready = await t.app.inject({ url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json().database).toBe('unavailable');

      await proxy.restore();
      await eventually(async () => (await t.app.inject({ url: '/test/tenants' })).statusCode === 200, 15_000);
      expect((await t.app.inject({ url: '/readyz' })).json()).toEqual({ database: 'ok', state: 'ok' });
    } finally {
      await t.close();
    }
  });
});

describe.runIf(!testRedisUrl && !testDatabaseUrl)('outages (embedded pass)', () => {
  it('are tested in the server pass, where the services can go down', () => {
    expect(testDatabaseUrl ?? testRedisUrl).toBeUndefined();
  });
});
