import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { listMigrations } from './migrate.ts';

// An empty embedded database costs an initdb (~5 s of WebAssembly on this machine's kind), every
// migration and pg-boss's schema. All of that is the same for every new data directory, so it is
// done once into a template (keyed by everything that shapes it) and a new data directory starts
// as a copy of it.

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Where templates live: beside the installed packages they are built from. */
export const templateCacheDir = path.join(repoRoot, 'node_modules', '.cache', 'cloop');
const prefix = 'pglite-template-';
/** Bump when what a template holds changes in a way the key cannot see. */
const format = 1;

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The template's name: the engine, its extension, the queue's schema and every migration's text. */
export function templateKey(): string {
  const hash = createHash('sha256').update(`format ${format}\n`);
  for (const name of ['@electric-sql/pglite', '@electric-sql/pglite-pgvector', 'pg-boss']) hash.update(`${name}@${packageVersion(name)}\n`);
  for (const m of listMigrations()) hash.update(`${m.name}\n${m.sql}\n`);
  return hash.digest('hex').slice(0, 16);
}

/** Builds a ready database (initialized, migrated) in an empty directory that does not exist yet. */
export type BuildTemplate = (dir: string) => Promise<void>;

/** The current template's directory, when it has been built. */
export function readyTemplate(cacheDir = templateCacheDir): string | null {
  const dir = path.join(cacheDir, prefix + templateKey());
  return existsSync(path.join(dir, 'PG_VERSION')) ? dir : null;
}

/**
 * Returns the current template's directory, building it with `build` when it is missing.
 * Returns null when the cache directory cannot be written (a read-only install): the caller then
 * initializes the data directory in place, as without a template.
 */
export async function ensureTemplate(build: BuildTemplate, cacheDir = templateCacheDir): Promise<string | null> {
  const ready = readyTemplate(cacheDir);
  if (ready) return ready;
  const final = path.join(cacheDir, prefix + templateKey());
  try {
    mkdirSync(cacheDir, { recursive: true });
  } catch {
    return null;
  }
  // Built aside and renamed into place, so a template is never seen half-made; processes that
  // race here each build their own and the first rename wins.
  const building = path.join(cacheDir, `tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await build(building);
    try {
      renameSync(building, final);
    } catch (err) {
      if (!existsSync(path.join(final, 'PG_VERSION'))) throw err;
    }
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
  pruneTemplates(cacheDir);
  return final;
}

/** Templates kept: a checkout and its built copy (dist/server) may differ in migrations for a while. */
const keptTemplates = 3;

/** Removes all but the newest templates (~40 MB each): older keys are rarely needed again. */
function pruneTemplates(cacheDir: string): void {
  const templates = readdirSync(cacheDir)
    .filter((entry) => entry.startsWith(prefix))
    .map((entry) => ({ dir: path.join(cacheDir, entry), mtime: statSync(path.join(cacheDir, entry)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const old of templates.slice(keptTemplates)) rmSync(old.dir, { recursive: true, force: true });
}

/**
 * Makes `dir` a copy of the template when it holds no database yet (missing or empty). A directory
 * with other content (say, an interrupted initdb) is left alone. Returns whether it copied.
 */
export async function seedFromTemplate(dir: string, build: BuildTemplate, cacheDir = templateCacheDir): Promise<boolean> {
  if (existsSync(path.join(dir, 'PG_VERSION'))) return false;
  if (existsSync(dir) && readdirSync(dir).length > 0) return false;
  const template = await ensureTemplate(build, cacheDir);
  if (!template) return false;
  // Copied aside and renamed into place: a crash mid-copy leaves no half database behind.
  const copy = `${dir}.seed-${process.pid}`;
  rmSync(copy, { recursive: true, force: true });
  try {
    cpSync(template, copy, { recursive: true });
    if (existsSync(dir)) rmdirSync(dir);
    renameSync(copy, dir);
    return true;
  } catch {
    // The template went away mid-copy (pruned by another process): initialize in place instead.
    return false;
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}
