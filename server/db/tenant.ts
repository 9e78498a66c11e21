import { sql, type Kysely, type Transaction } from 'kysely';
import { appError } from '../errors.ts';
import type { DB } from './schema.ts';

/** A transaction bound to one tenant: RLS shows it that tenant's rows only. */
export type TenantTx = Transaction<DB>;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `value` is a UUID (ids from URLs are checked before they reach SQL). */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && uuidPattern.test(value);
}

/**
 * The one door to tenant data: runs `fn` in a transaction as the `cloop_app` role with the
 * tenant bound, so row-level security hides every other tenant's rows even from raw SQL.
 */
export async function withTenant<T>(db: Kysely<DB>, tenantId: string, fn: (tx: TenantTx) => Promise<T>): Promise<T> {
  if (!isUuid(tenantId)) throw appError('not_found');
  return runThenCommitHooks(db, async (tx) => {
    // One statement (`set_config('role', …)` is `SET LOCAL ROLE`): every tenant transaction pays it.
    await sql`select set_config('role', 'cloop_app', true), set_config('app.tenant_id', ${tenantId}, true)`.execute(tx);
    return fn(tx);
  });
}

const commitHooks = new WeakMap<Transaction<DB>, (() => void)[]>();

/** Runs `hook` once the transaction has committed (never after a rollback), e.g. to write the audit stream. */
export function afterCommit(tx: Transaction<DB>, hook: () => void): void {
  const hooks = commitHooks.get(tx);
  if (!hooks) throw new Error('afterCommit needs a transaction opened by withTenant or withSystem');
  hooks.push(hook);
}

async function runThenCommitHooks<T>(db: Kysely<DB>, fn: (tx: Transaction<DB>) => Promise<T>): Promise<T> {
  let hooks: (() => void)[] = [];
  const result = await db.transaction().execute(async (tx) => {
    hooks = [];
    commitHooks.set(tx, hooks);
    return fn(tx);
  });
  for (const hook of hooks) hook();
  return result;
}

/**
 * Runs `fn` as `cloop_system`: the reviewed cross-tenant work (resolving an embed key, sign-in,
 * retention). Only `system.ts` modules may call this.
 */
export async function withSystem<T>(db: Kysely<DB>, fn: (tx: Transaction<DB>) => Promise<T>): Promise<T> {
  return runThenCommitHooks(db, async (tx) => {
    await sql`select set_config('role', 'cloop_system', true), set_config('app.tenant_id', '', true)`.execute(tx);
    return fn(tx);
  });
}
