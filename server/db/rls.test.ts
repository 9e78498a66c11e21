import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/harness.ts';
import type { Database } from './database.ts';
import { withSystem, withTenant } from './tenant.ts';

let database: Database;
let a: string;
let b: string;
let siteB: string;

beforeAll(async () => {
  database = await openTestDatabase();
  [a, b] = await withSystem(database.db, async (tx) => {
    const ids: string[] = [];
    for (const name of ['tenant A', 'tenant B']) ids.push((await tx.insertInto('tenants').values({ name }).returning('id').executeTakeFirstOrThrow()).id);
    return ids as [string, string];
  });
  siteB = await withTenant(database.db, b, async (tx) =>
    (await tx.insertInto('sites').values({ tenant_id: b, name: 'B site', embed_key: `k-${b}` }).returning('id').executeTakeFirstOrThrow()).id,
  );
});
afterAll(() => database?.close());

describe('the catalog', () => {
  it('has forced row-level security on every table with tenant_id, and on tenants', async () => {
    const rows = await database.rawTransaction(async (tx) =>
      (
        await tx.query(`
          select c.relname as table, c.relrowsecurity as enabled, c.relforcerowsecurity as forced
          from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'public' and c.relkind in ('r', 'p')
            and (c.relname = 'tenants' or exists (
              select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped))`)
      ).rows,
    );
    expect(rows.length).toBeGreaterThanOrEqual(4);
    const unprotected = rows.filter((r) => !r.enabled || !r.forced).map((r) => r.table);
    expect(unprotected).toEqual([]);
  });

  it('gives the application roles no ownership and no way around RLS', async () => {
    const roles = await database.rawTransaction(async (tx) =>
      (
        await tx.query(`
          select r.rolname, r.rolsuper, r.rolbypassrls, r.rolcanlogin,
            (select count(*) from pg_class c where c.relowner = r.oid) as owned
          from pg_roles r where r.rolname in ('cloop_app', 'cloop_system') order by r.rolname`)
      ).rows,
    );
    expect(roles).toEqual([
      { rolname: 'cloop_app', rolsuper: false, rolbypassrls: false, rolcanlogin: false, owned: 0 },
      { rolname: 'cloop_system', rolsuper: false, rolbypassrls: false, rolcanlogin: false, owned: 0 },
    ]);
  });

  it('lets no SECURITY DEFINER function run with a movable search_path or for PUBLIC', async () => {
    // Such a function works past RLS (cloop_search_text: the full-text leg); it must check the tenant itself (knowledge/retrieval.test.ts).
    const rows = await database.rawTransaction(async (tx) =>
      (
        await tx.query(`
          select p.proname as name, coalesce(array_to_string(p.proconfig, ','), '') as config,
            has_function_privilege('public', p.oid, 'execute') as public_execute,
            has_function_privilege('cloop_system', p.oid, 'execute') as system_execute,
            (r.rolsuper or r.rolbypassrls) as owner_bypasses_rls
          from pg_proc p join pg_namespace n on n.oid = p.pronamespace join pg_roles r on r.oid = p.proowner
          where n.nspname = 'public' and p.prosecdef order by 1`)
      ).rows,
    );
    // The owner must read past forced RLS, or the function would silently find nothing.
    expect(rows).toEqual([{ name: 'cloop_search_text', config: 'search_path=pg_catalog, pg_temp', public_execute: false, system_execute: false, owner_bypasses_rls: true }]);
  });

  it('runs application queries as cloop_app', async () => {
    const { rows } = await sql<{ role: string }>`select current_user as role`.execute(database.db);
    expect(rows[0]?.role).toBe('cloop_app');
    // Outside a tenant transaction nothing is visible at all.
    expect(await database.db.selectFrom('sites').selectAll().execute()).toEqual([]);
  });

  it('runs owner work (the job queue) as the owner, and application queries as cloop_app again after it', async () => {
    const role = async () => (await sql<{ role: string }>`select current_user as role`.execute(database.db)).rows[0]?.role;
    const ownerRole = async () => ((await database.executeSql('select current_user as role', [])).rows[0] as { role: string }).role;
    for (let i = 0; i < 3; i++) {
      expect(await ownerRole()).not.toBe('cloop_app');
      expect(await ownerRole()).not.toBe('cloop_app');
      expect(await role()).toBe('cloop_app');
      expect(await role()).toBe('cloop_app');
    }
    await expect(database.executeSql('select * from no_such_table', [])).rejects.toThrow();
    expect(await role()).toBe('cloop_app');
    await database.rawTransaction(async (tx) => {
      expect(((await tx.query('select current_user as role')).rows[0] as { role: string }).role).not.toBe('cloop_app');
    });
    expect(await role()).toBe('cloop_app');
  });
});

describe("inside tenant A's transaction", () => {
  it('raw SELECT cannot see B', async () => {
    await withTenant(database.db, a, async (tx) => {
      expect((await sql`select * from sites where id = ${siteB}`.execute(tx)).rows).toEqual([]);
      expect((await sql`select * from sites`.execute(tx)).rows).toEqual([]);
      expect((await sql<{ id: string }>`select id from tenants`.execute(tx)).rows.map((r) => r.id)).toEqual([a]);
    });
  });

  it('raw UPDATE and DELETE cannot touch B', async () => {
    await withTenant(database.db, a, async (tx) => {
      expect((await sql`update sites set name = 'pwned' where id = ${siteB}`.execute(tx)).numAffectedRows).toBe(0n);
      expect((await sql`delete from sites where id = ${siteB}`.execute(tx)).numAffectedRows).toBe(0n);
      expect((await sql`update tenants set name = 'pwned' where id = ${b}`.execute(tx)).numAffectedRows).toBe(0n);
    });
    const site = await withTenant(database.db, b, (tx) => tx.selectFrom('sites').select('name').where('id', '=', siteB).executeTakeFirst());
    expect(site?.name).toBe('B site');
  });

  it('raw INSERT of a row for B is refused', async () => {
    await expect(
      withTenant(database.db, a, (tx) => sql`insert into sites (tenant_id, name, embed_key) values (${b}, 'evil', 'evil-key')`.execute(tx)),
    ).rejects.toThrow(/row-level security/);
  });

  it('moving a row of A to B is refused', async () => {
    const siteA = await withTenant(database.db, a, async (tx) =>
      (await tx.insertInto('sites').values({ tenant_id: a, name: 'A site', embed_key: `k-${a}` }).returning('id').executeTakeFirstOrThrow()).id,
    );
    await expect(withTenant(database.db, a, (tx) => sql`update sites set tenant_id = ${b} where id = ${siteA}`.execute(tx))).rejects.toThrow(
      /row-level security/,
    );
  });

  it('works as cloop_app for the whole transaction', async () => {
    await withTenant(database.db, a, async (tx) => {
      const { rows } = await sql<{ role: string }>`select current_user as role`.execute(tx);
      expect(rows[0]?.role).toBe('cloop_app');
    });
  });

  it('audit events are append-only for the application', async () => {
    await withTenant(database.db, a, (tx) =>
      tx.insertInto('audit_events').values({ tenant_id: a, actor_type: 'system', action: 'test.event' }).execute(),
    );
    await expect(withTenant(database.db, a, (tx) => sql`delete from audit_events`.execute(tx))).rejects.toThrow(/permission denied/);
    await expect(withTenant(database.db, a, (tx) => sql`update audit_events set action = 'x'`.execute(tx))).rejects.toThrow(/permission denied/);
  });
});
