import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, eventually, LogCapture } from '../../test/harness.ts';
import { fsHome, s3Home } from '../../test/storage-homes.ts';
import { openIsolatedTestDatabase } from '../../test/isolated-database.ts';
import { createAudit, type Audit } from '../audit/audit.ts';
import type { Database } from '../db/database.ts';
import { withSystem } from '../db/tenant.ts';
import { createLogger } from '../http/logger.ts';
import { createFsObjectStore } from '../platform/storage/fs.ts';
import type { ObjectStore } from '../platform/storage/object-store.ts';
import { startRetentionWorkers } from './retention.jobs.ts';
import { purgeTenant, runRetention, type RetentionDeps } from './retention.service.ts';

const day = 86_400_000;
const ago = (ms: number) => new Date(Date.now() - ms);

/** One home of the object store, real, plus a look at what it holds for a tenant. */
let database: Database;
beforeAll(async () => {
  // Its own database: a sweep acts on every tenant, and the job test runs a queue worker.
  database = await openIsolatedTestDatabase();
}, 60_000);
afterAll(() => database?.close());

/** Every public table with a tenant_id column, read from the catalog (a new table is covered by itself). */
async function tenantTables(): Promise<string[]> {
  return database.rawTransaction(async (tx) =>
    (
      await tx.query(`select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind in ('r', 'p') and exists (
          select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped)
        order by 1`)
    ).rows.map((r) => r.name as string),
  );
}

/** Rows the tenant has in each tenant table (and its own row), counted as the owner. */
async function rowsOf(tenantId: string): Promise<Record<string, number>> {
  const tables = await tenantTables();
  return database.rawTransaction(async (tx) => {
    const out: Record<string, number> = { tenants: Number((await tx.query('select count(*) as n from tenants where id = $1', [tenantId])).rows[0].n) };
    for (const t of tables) out[t] = Number((await tx.query(`select count(*) as n from "${t}" where tenant_id = $1`, [tenantId])).rows[0].n);
    return out;
  });
}

const total = (rows: Record<string, number>) => Object.values(rows).reduce((a, b) => a + b, 0);

/** A seeded tenant: everything a business accumulates, with files in the store. */
interface Seeded {
  tenantId: string;
  userId: string;
  fileKey: string;
  strayKey: string;
}

/**
 * Seeds a tenant with a member (identity, session, refresh token), a site, an uploaded file (plus
 * a stray one no row points at), a document with chunks, a visitor, a conversation with messages
 * and a lead, metered usage, an audit event and an invitation.
 */
async function seedTenant(
  store: ObjectStore,
  t: { status?: 'active' | 'terminated' | 'demo'; tier?: 'free' | 'pro' | 'business'; createdAt?: Date; terminatedAt?: Date | null; expiresAt?: Date | null; alsoMember?: string },
): Promise<Seeded> {
  const tenantId = await withSystem(database.db, async (tx) =>
    (
      await tx
        .insertInto('tenants')
        .values({ name: 'retention', status: t.status ?? 'active', tier: t.tier ?? 'free', terminated_at: t.terminatedAt ?? null, expires_at: t.expiresAt ?? null, ...(t.createdAt ? { created_at: t.createdAt } : {}) })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id,
  );
  const file = await store.put(tenantId, Buffer.from('%PDF-1.4 a handbook'));
  const stray = await store.put(tenantId, Buffer.from('an upload whose row never got written'));
  const userId = await withSystem(database.db, async (tx) => {
    const user = await tx.insertInto('users').values({ email: `${randomUUID()}@example.com`, email_verified: true, name: 'Owner' }).returning('id').executeTakeFirstOrThrow();
    await tx.insertInto('identities').values({ user_id: user.id, provider: 'google', subject: randomUUID(), email: 'x@example.com', email_verified: true }).execute();
    const session = await tx.insertInto('sessions').values({ user_id: user.id, active_tenant_id: tenantId, expires_at: new Date(Date.now() + 30 * day) }).returning('id').executeTakeFirstOrThrow();
    await tx.insertInto('refresh_tokens').values({ session_id: session.id, token_hash: randomBytes(32).toString('hex'), expires_at: new Date(Date.now() + 30 * day) }).execute();
    await tx.insertInto('memberships').values({ tenant_id: tenantId, user_id: user.id, role: 'owner' }).execute();
    if (t.alsoMember) await tx.insertInto('memberships').values({ tenant_id: tenantId, user_id: t.alsoMember, role: 'member' }).execute();
    await tx.insertInto('invitations').values({ tenant_id: tenantId, email: 'new@example.com', role: 'member', token_hash: randomBytes(32).toString('hex'), created_by: user.id, expires_at: new Date(Date.now() + 7 * day) }).execute();
    const site = await tx.insertInto('sites').values({ tenant_id: tenantId, name: 'Help', domains: ['example.com'], embed_key: `ek_${randomBytes(16).toString('hex')}` }).returning('id').executeTakeFirstOrThrow();
    const source = await tx
      .insertInto('sources')
      .values({ tenant_id: tenantId, site_id: site.id, kind: 'file', file_key: file.key, file_name: 'handbook.pdf', file_size: file.size, status: 'ready' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const doc = await tx.insertInto('documents').values({ tenant_id: tenantId, site_id: site.id, source_id: source.id, url: 'file:handbook.pdf', title: 'Handbook', chunk_count: 3 }).returning('id').executeTakeFirstOrThrow();
    for (let i = 0; i < 3; i++) {
      const text = `Returns are accepted within ${i + 30} days.`;
      await tx.insertInto('chunks').values({ tenant_id: tenantId, site_id: site.id, document_id: doc.id, ordinal: i, text, url: 'file:handbook.pdf', embedding_model: 'cloop-local-hash-v1', tsv: sql`to_tsvector('simple', ${text})` }).execute();
    }
    const visitor = await tx.insertInto('visitors').values({ tenant_id: tenantId, site_id: site.id, secret_hash: randomBytes(32).toString('hex'), email: 'visitor@example.com' }).returning('id').executeTakeFirstOrThrow();
    const conv = await tx.insertInto('conversations').values({ tenant_id: tenantId, site_id: site.id, visitor_id: visitor.id, entry_page: 'https://example.com/', message_count: 2 }).returning('id').executeTakeFirstOrThrow();
    for (const role of ['user', 'assistant'] as const) await tx.insertInto('messages').values({ tenant_id: tenantId, site_id: site.id, conversation_id: conv.id, role, text: `${role} text` }).execute();
    await tx.insertInto('leads').values({ tenant_id: tenantId, site_id: site.id, conversation_id: conv.id, visitor_id: visitor.id, email: 'visitor@example.com' }).execute();
    await tx.insertInto('ai_usage').values({ tenant_id: tenantId, site_id: site.id, purpose: 'chat', provider: 'offline', model: 'm', input_tokens: 10, output_tokens: 5, cost_usd: '0.0001' }).execute();
    await tx.insertInto('audit_events').values({ tenant_id: tenantId, actor_type: 'user', actor_id: user.id, action: 'site.created' }).execute();
    return user.id;
  });
  return { tenantId, userId, fileKey: file.key, strayKey: stray.key };
}

/** The `tenant.purged` events recorded for a tenant. */
async function purgeEvents(tenantId: string) {
  return withSystem(database.db, (tx) =>
    tx.selectFrom('audit_events').select(['tenant_id', 'actor_type', 'actor_id', 'metadata']).where('action', '=', 'tenant.purged').where('target_id', '=', tenantId).execute(),
  );
}

/** Whether a user row (and how many identities and sessions of it) still exist. */
async function userRows(userId: string) {
  return database.rawTransaction(async (tx) => {
    const q = async (text: string) => Number((await tx.query(text, [userId])).rows[0].n);
    return {
      users: await q('select count(*) as n from users where id = $1'),
      identities: await q('select count(*) as n from identities where user_id = $1'),
      sessions: await q('select count(*) as n from sessions where user_id = $1'),
      refreshTokens: await q('select count(*) as n from refresh_tokens r join sessions s on s.id = r.session_id where s.user_id = $1'),
    };
  });
}

describe.each([fsHome(), s3Home()])('retention with $name storage', (home) => {
  let store: ObjectStore;
  let stored: (tenantId: string) => Promise<string[]>;
  let deps: RetentionDeps;
  let logs: LogCapture;

  beforeAll(async () => {
    ({ store, leftovers: stored } = await home.setup());
    logs = new LogCapture();
    deps = { database, storage: store, audit: createAudit(createLogger({ level: 'info', stream: new LogCapture() })), logger: createLogger({ level: 'info', stream: logs }) };
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await home.teardown();
  });

  it('purges a terminated tenant past its expiry entirely, files and sole members included, and nothing else', async () => {
    const bystander = await seedTenant(store, {});
    const due = await seedTenant(store, { status: 'terminated', terminatedAt: ago(31 * day), expiresAt: ago(day), alsoMember: bystander.userId });
    const notYet = await seedTenant(store, { status: 'terminated', terminatedAt: ago(28 * day), expiresAt: new Date(Date.now() + 2 * day) });
    const before = { bystander: await rowsOf(bystander.tenantId), notYet: await rowsOf(notYet.tenantId) };
    expect(total(await rowsOf(due.tenantId))).toBeGreaterThan(15);
    expect(await stored(due.tenantId)).toHaveLength(2);

    const figures = await runRetention(deps);
    expect(figures.tenantsPurged).toBe(1);
    expect(figures.filesDeleted).toBe(2);

    // Every table with tenant_id, read from the catalog: nothing of the purged tenant is left.
    expect(total(await rowsOf(due.tenantId))).toBe(0);
    expect(await stored(due.tenantId)).toEqual([]);
    expect(await userRows(due.userId)).toEqual({ users: 0, identities: 0, sessions: 0, refreshTokens: 0 });
    // A member who also belongs to another tenant keeps their account.
    expect((await userRows(bystander.userId)).users).toBe(1);

    // The tenant that is not yet due and the active one are exactly as they were, files too.
    expect(await rowsOf(bystander.tenantId)).toEqual(before.bystander);
    expect(await rowsOf(notYet.tenantId)).toEqual(before.notYet);
    expect((await store.get(notYet.tenantId, notYet.fileKey)).destroy()).toBeTruthy();
    expect(await stored(bystander.tenantId)).toHaveLength(2);

    // One audit event by the system, with the figures; the log line carries them too.
    const events = await purgeEvents(due.tenantId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ tenant_id: null, actor_type: 'system', actor_id: 'retention' });
    expect(events[0]!.metadata).toMatchObject({ reason: 'terminated', deleted: { files: 2, chunks: 3, messages: 2, conversations: 1, leads: 1, visitors: 1, sites: 1, sources: 1, documents: 1, memberships: 2, users: 1 } });
    expect(logs.lines.some((l) => l.includes('retention: tenant purged') && l.includes(due.tenantId) && l.includes('"chunks":3'))).toBe(true);
    expect(logs.lines.some((l) => l.includes('retention sweep finished') && l.includes('"tenantsPurged":1'))).toBe(true);

    // Two days later the other terminated tenant's time is up as well.
    expect(await purgeTenant(deps, notYet.tenantId, new Date())).toBeNull();
    expect(await purgeTenant(deps, notYet.tenantId, new Date(Date.now() + 3 * day))).toMatchObject({ files: 2, chunks: 3 });
    expect(total(await rowsOf(notYet.tenantId))).toBe(0);
    expect(await stored(notYet.tenantId)).toEqual([]);
    expect(total(await rowsOf(bystander.tenantId))).toBeGreaterThan(0);
  });

  it('finishes a purge that crashed midway, first in the object store, then in the database', async () => {
    const due = await seedTenant(store, { status: 'terminated', terminatedAt: ago(40 * day), expiresAt: ago(10 * day) });
    const before = await rowsOf(due.tenantId);

    // Crash 1: the worker dies after deleting one of the tenant's files.
    const crashingStore: ObjectStore = {
      ...store,
      async deleteTenant(tenantId) {
        await store.delete(tenantId, due.strayKey);
        throw new Error('worker crashed while deleting files');
      },
    };
    await expect(purgeTenant({ ...deps, storage: crashingStore }, due.tenantId, new Date())).rejects.toThrow('worker crashed');
    expect(await rowsOf(due.tenantId)).toEqual(before);
    expect(await stored(due.tenantId)).toHaveLength(1);

    // Crash 2: the worker dies in the final transaction, after the chunk and message batches committed.
    const crashingAudit: Audit = {
      async record(tx, event) {
        if (event.action === 'tenant.purged') throw new Error('worker crashed before commit');
        return deps.audit.record(tx, event);
      },
    };
    await expect(purgeTenant({ ...deps, audit: crashingAudit }, due.tenantId, new Date())).rejects.toThrow('worker crashed');
    const midway = await rowsOf(due.tenantId);
    expect(midway).toEqual({ ...before, chunks: 0, messages: 0 });
    expect(await stored(due.tenantId)).toEqual([]);
    expect(await purgeEvents(due.tenantId)).toEqual([]);

    // The next sweep finishes the job, and records it once.
    expect((await runRetention(deps)).tenantsPurged).toBe(1);
    expect(total(await rowsOf(due.tenantId))).toBe(0);
    expect(await userRows(due.userId)).toEqual({ users: 0, identities: 0, sessions: 0, refreshTokens: 0 });
    expect(await purgeEvents(due.tenantId)).toHaveLength(1);
    // And a purge of a tenant already gone is a no-op.
    expect(await purgeTenant(deps, due.tenantId, new Date())).toBeNull();
  });

  it('purges demo tenants after 24 hours and keeps younger ones', async () => {
    const old = await seedTenant(store, { status: 'demo', createdAt: ago(25 * 3_600_000) });
    const young = await seedTenant(store, { status: 'demo', createdAt: ago(3_600_000) });
    const youngBefore = await rowsOf(young.tenantId);
    expect((await runRetention(deps)).tenantsPurged).toBe(1);
    expect(total(await rowsOf(old.tenantId))).toBe(0);
    expect(await stored(old.tenantId)).toEqual([]);
    expect((await purgeEvents(old.tenantId))[0]?.metadata).toMatchObject({ reason: 'demo' });
    expect(await rowsOf(young.tenantId)).toEqual(youngBefore);
    expect(await stored(young.tenantId)).toHaveLength(2);
  });
});

describe('audit events and conversations', () => {
  let deps: RetentionDeps;
  let store: ObjectStore;
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'cloop-retention-rows-'));
    store = createFsObjectStore(root);
    deps = { database, storage: store, audit: createAudit(createLogger({ level: 'info', stream: new LogCapture() })), logger: createLogger({ level: 'info', stream: new LogCapture() }) };
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('deletes audit events older than 12 months and keeps recent ones', async () => {
    const { tenantId } = await seedTenant(store, {});
    const ids = await withSystem(database.db, async (tx) => {
      const insert = async (tenant: string | null, action: string, months: number) => {
        const at = new Date();
        at.setUTCMonth(at.getUTCMonth() - months);
        return (await tx.insertInto('audit_events').values({ tenant_id: tenant, actor_type: 'anonymous', action, occurred_at: at }).returning('id').executeTakeFirstOrThrow()).id;
      };
      return {
        old: [await insert(tenantId, 'site.updated', 13), await insert(null, 'auth.signin_failed', 14)],
        recent: [await insert(tenantId, 'site.updated', 11), await insert(null, 'auth.signin_failed', 1)],
      };
    });
    const figures = await runRetention(deps);
    expect(figures.auditEventsExpired).toBe(2);
    const left = await withSystem(database.db, (tx) => tx.selectFrom('audit_events').select('id').where('id', 'in', [...ids.old, ...ids.recent]).execute());
    expect(left.map((r) => r.id).sort()).toEqual([...ids.recent].sort());
    const record = await withSystem(database.db, (tx) => tx.selectFrom('audit_events').select(['actor_type', 'metadata']).where('action', '=', 'audit_events.expired').orderBy('id', 'desc').executeTakeFirstOrThrow());
    expect(record).toMatchObject({ actor_type: 'system', metadata: { deleted: 2 } });
  });

  it("deletes conversations, messages, leads and visitors past the tier's retention, and nothing younger", async () => {
    const free = await seedTenant(store, { tier: 'free' });
    const pro = await seedTenant(store, { tier: 'pro' });
    // Age the seeded conversation (with its 2 messages and lead) past the free tier's 30 days.
    const age = (tenantId: string, days: number) =>
      withSystem(database.db, async (tx) => {
        await tx.updateTable('conversations').set({ updated_at: ago(days * day), created_at: ago(days * day) }).where('tenant_id', '=', tenantId).execute();
        await tx.updateTable('leads').set({ updated_at: ago(days * day) }).where('tenant_id', '=', tenantId).execute();
        await tx.updateTable('visitors').set({ last_seen_at: ago(days * day) }).where('tenant_id', '=', tenantId).execute();
      });
    await age(free.tenantId, 31);
    await age(pro.tenantId, 31);
    // Three more conversations of the free tenant: recent; old but its lead was worked on 2 days ago;
    // and a visitor who never chatted, last seen 31 days ago.
    const kept = await withSystem(database.db, async (tx) => {
      const site = await tx.selectFrom('sites').select('id').where('tenant_id', '=', free.tenantId).executeTakeFirstOrThrow();
      const visitor = async (seen: Date) =>
        (await tx.insertInto('visitors').values({ tenant_id: free.tenantId, site_id: site.id, secret_hash: randomBytes(32).toString('hex'), last_seen_at: seen }).returning('id').executeTakeFirstOrThrow()).id;
      const conversation = async (visitorId: string, updated: Date) =>
        (await tx.insertInto('conversations').values({ tenant_id: free.tenantId, site_id: site.id, visitor_id: visitorId, updated_at: updated }).returning('id').executeTakeFirstOrThrow()).id;
      const v1 = await visitor(ago(31 * day));
      const recent = await conversation(v1, ago(29 * day));
      const v2 = await visitor(ago(31 * day));
      const worked = await conversation(v2, ago(40 * day));
      await tx.insertInto('leads').values({ tenant_id: free.tenantId, site_id: site.id, conversation_id: worked, visitor_id: v2, email: 'lead@example.com', updated_at: ago(2 * day) }).execute();
      const lonely = await visitor(ago(31 * day));
      const fresh = await visitor(ago(day));
      return { conversations: [recent, worked], visitors: [v1, v2, fresh], lonely };
    });
    const proBefore = await rowsOf(pro.tenantId);

    const figures = await runRetention(deps);
    expect(figures).toMatchObject({ conversationsExpired: 1, messagesExpired: 2, leadsExpired: 1, visitorsExpired: 2 });
    const rows = await rowsOf(free.tenantId);
    expect({ conversations: rows.conversations, messages: rows.messages, leads: rows.leads, visitors: rows.visitors }).toEqual({ conversations: 2, messages: 0, leads: 1, visitors: 3 });
    const left = await withSystem(database.db, async (tx) => ({
      conversations: (await tx.selectFrom('conversations').select('id').where('tenant_id', '=', free.tenantId).execute()).map((r) => r.id).sort(),
      visitors: (await tx.selectFrom('visitors').select('id').where('tenant_id', '=', free.tenantId).execute()).map((r) => r.id).sort(),
    }));
    expect(left).toEqual({ conversations: [...kept.conversations].sort(), visitors: [...kept.visitors].sort() });
    // The knowledge base is untouched; the pro tenant keeps conversations for 180 days.
    expect(rows.chunks).toBe(3);
    expect(await rowsOf(pro.tenantId)).toEqual(proBefore);
    const event = await withSystem(database.db, (tx) =>
      tx.selectFrom('audit_events').select(['actor_type', 'metadata']).where('tenant_id', '=', free.tenantId).where('action', '=', 'conversations.expired').executeTakeFirstOrThrow(),
    );
    expect(event).toMatchObject({ actor_type: 'system', metadata: { retentionDays: 30, deleted: { conversations: 1, messages: 2, leads: 1, visitors: 2 } } });
  });

  it('runs as a scheduled job: a worker started with the others purges a due tenant on its own', async () => {
    const t = await buildTestApp(database, {}, { storage: store });
    try {
      const due = await seedTenant(store, { status: 'terminated', terminatedAt: ago(31 * day), expiresAt: ago(60_000) });
      await startRetentionWorkers(t.deps);
      await eventually(async () => total(await rowsOf(due.tenantId)) === 0, 30_000, 200);
      expect(await readdir(join(root, due.tenantId)).catch(() => [])).toEqual([]);
      await eventually(() => t.logs.lines.some((l) => l.includes('retention sweep finished')), 10_000);
    } finally {
      await t.close();
    }
  }, 60_000);
});
