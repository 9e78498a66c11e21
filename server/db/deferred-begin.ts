import type pg from 'pg';

// Every tenant transaction starts with BEGIN and the statement that binds role and tenant. Sent
// separately that is two round trips (two socket writes, two server wake-ups) before any work; a
// chat answer opens two such transactions. Here BEGIN waits for the transaction's first statement
// and, when that statement has no parameters (the tenant binding has none), both go as one
// simple-protocol query. A transaction that ends before any statement sends nothing at all.

/** How one connection runs statements; `R` is the driver's result. */
export interface StatementRunner<R> {
  /** One statement (parameters in the extended protocol when there are any). */
  run(sql: string, params: readonly unknown[]): Promise<R>;
  /** BEGIN and `sql` (no parameters) in one round trip; the result of `sql`. */
  runAfterBegin(sql: string): Promise<R>;
  /** The result of a statement that was not sent (BEGIN held back, COMMIT of an empty transaction). */
  unsent(command: string): R;
}

/** One connection's held-back BEGIN. Kysely sends `begin`, `commit` and `rollback` as plain statements. */
export class DeferredBegin<R> {
  private pending = false;

  constructor(private readonly runner: StatementRunner<R>) {}

  async query(sql: string, params: readonly unknown[]): Promise<R> {
    const bare = params.length === 0 ? sql.trim().toLowerCase() : '';
    if (bare === 'begin') {
      if (this.pending) throw new Error('BEGIN inside a transaction');
      this.pending = true;
      return this.runner.unsent('BEGIN');
    }
    if (!this.pending) return this.runner.run(sql, params);
    this.pending = false;
    // Nothing ran: there is no transaction on the server to end.
    if (bare === 'commit' || bare === 'rollback') return this.runner.unsent(bare.toUpperCase());
    if (params.length === 0) return this.runner.runAfterBegin(sql);
    await this.runner.run('begin', []);
    return this.runner.run(sql, params);
  }

  /** The connection goes back to its pool: nothing may stay held back. */
  reset(): void {
    this.pending = false;
  }
}

/** The part of a pg pool Kysely's PostgresDialect uses. */
interface KyselyPool {
  connect(): Promise<KyselyPoolClient>;
  end(): Promise<void>;
}
interface KyselyPoolClient {
  query(sql: string, params: readonly unknown[]): Promise<pg.QueryResult>;
  release(err?: Error | boolean): void;
}

/** `pool` for Kysely, its clients holding BEGIN back; one wrapper per pooled client (Kysely keys its connections by client). */
export function deferBeginPool(pool: pg.Pool): KyselyPool {
  const wrapped = new WeakMap<pg.PoolClient, KyselyPoolClient & { deferred: DeferredBegin<pg.QueryResult> }>();
  return {
    async connect() {
      const client = await pool.connect();
      let wrapper = wrapped.get(client);
      if (!wrapper) {
        const deferred = new DeferredBegin<pg.QueryResult>({
          run: (sql, params) => client.query(sql, params as unknown[]),
          runAfterBegin: async (sql) => {
            // Two statements in one simple-protocol query: pg answers with one result per statement.
            const results = (await client.query(`begin;\n${sql}`)) as unknown as pg.QueryResult[];
            return results[results.length - 1]!;
          },
          unsent: (command) => ({ command, rowCount: null, rows: [], fields: [], oid: 0 }),
        });
        wrapper = {
          deferred,
          query: (sql, params) => deferred.query(sql, params),
          release: (err) => {
            deferred.reset();
            client.release(err);
          },
        };
        wrapped.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => pool.end(),
  };
}
