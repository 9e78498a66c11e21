import { existsSync, mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase, type Database } from './database.ts';
import { listMigrations } from './migrate.ts';
import { ensureTemplate, seedFromTemplate, templateCacheDir, templateKey } from './pglite-template.ts';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'cloop-template-'));
const one = async (database: Database, text: string) => (await database.executeSql(text)).rows[0];

describe('PGlite template for new data directories', () => {
  it('starts a new directory as a migrated copy with its own data, which survives a restart', { timeout: 180_000 }, async () => {
    const [a, b] = [path.join(tmp(), 'pglite'), path.join(tmp(), 'pglite')];
    let database = await openDatabase({ kind: 'pglite', dir: a });
    try {
      expect(existsSync(path.join(templateCacheDir, `pglite-template-${templateKey()}`, 'PG_VERSION'))).toBe(true);
      expect(await one(database, 'select count(*)::int as n from cloop_migrations')).toEqual({ n: listMigrations().length });
      expect(await one(database, "select count(*)::int as n from pg_namespace where nspname = 'pgboss'")).toEqual({ n: 1 });
      expect(await one(database, 'show shared_buffers')).toEqual({ shared_buffers: '16MB' });
      await database.executeSql('create table probe (x int); insert into probe values (42)');
    } finally {
      await database.close();
    }
    const other = await openDatabase({ kind: 'pglite', dir: b });
    try {
      expect(await one(other, "select to_regclass('probe') is null as missing")).toEqual({ missing: true });
    } finally {
      await other.close();
    }
    database = await openDatabase({ kind: 'pglite', dir: a });
    try {
      expect(await one(database, 'select x from probe')).toEqual({ x: 42 });
    } finally {
      await database.close();
    }
  });

  it('leaves a directory that already holds something alone', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'stray'), 'x');
    let built = 0;
    expect(await seedFromTemplate(dir, async () => void built++, tmp())).toBe(false);
    expect(built).toBe(0);
    expect(readdirSync(dir)).toEqual(['stray']);
  });

  it('builds aside, lets racing builders agree on one template, and keeps only the newest three', async () => {
    const cache = tmp();
    for (const [i, key] of ['0000000000000000', '1111111111111111', '2222222222222222'].entries()) {
      mkdirSync(path.join(cache, `pglite-template-${key}`));
      const at = new Date(Date.now() - (3 - i) * 60_000);
      utimesSync(path.join(cache, `pglite-template-${key}`), at, at);
    }
    let built = 0;
    const build = async (dir: string) => {
      built++;
      mkdirSync(dir);
      await new Promise((r) => setTimeout(r, 50));
      writeFileSync(path.join(dir, 'PG_VERSION'), '18\n');
    };
    const [first, second] = await Promise.all([ensureTemplate(build, cache), ensureTemplate(build, cache)]);
    expect(first).toBe(path.join(cache, `pglite-template-${templateKey()}`));
    expect(second).toBe(first);
    expect(readdirSync(cache).sort()).toEqual(['pglite-template-1111111111111111', 'pglite-template-2222222222222222', `pglite-template-${templateKey()}`].sort());
    const builds = built;
    expect(await ensureTemplate(build, cache)).toBe(first);
    expect(built).toBe(builds);

    const seeded = path.join(tmp(), 'db');
    expect(await seedFromTemplate(seeded, build, cache)).toBe(true);
    expect(readdirSync(seeded)).toEqual(['PG_VERSION']);
    expect(readdirSync(path.dirname(seeded))).toEqual(['db']);
  });

  it('leaves nothing behind when a build fails, and falls back to no template when the cache cannot be written', async () => {
    const cache = tmp();
    const failing = async (dir: string) => {
      mkdirSync(dir);
      throw new Error('initdb failed');
    };
    await expect(ensureTemplate(failing, cache)).rejects.toThrow('initdb failed');
    expect(readdirSync(cache)).toEqual([]);

    const file = path.join(tmp(), 'file');
    writeFileSync(file, '');
    expect(await ensureTemplate(failing, path.join(file, 'cache'))).toBeNull();
    expect(await seedFromTemplate(path.join(tmp(), 'db'), failing, path.join(file, 'cache'))).toBe(false);
  });
});
