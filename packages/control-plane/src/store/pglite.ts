// The embedded back end: PGlite (Postgres compiled to WASM) in this process, persisted to a data
// directory or kept in memory. One connection: PGlite's own mutex serializes queries and transactions.
import { mkdir } from 'node:fs/promises';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Database, ListenOptions, Queryable } from './types.ts';

export interface PgliteOptions {
  /** Directory holding the database files; created when missing. Undefined: in memory, gone on close. */
  dataDir?: string | undefined;
}

/**
 * Opens (and on first use, initialises) an embedded database.
 *
 * @example
 *   const db = await openPglite({ dataDir: '.tollgate/data' });
 *   await migrateUp(db);
 */
export async function openPglite(options: PgliteOptions = {}): Promise<Database> {
  const { dataDir } = options;
  if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
  const pg = await PGlite.create(dataDir);
  return new PgliteDatabase(pg, dataDir ?? 'memory');
}

type Runner = Pick<PGlite | Transaction, 'query' | 'exec'>;

function queryable(runner: Runner): Queryable {
  return {
    async query<R>(sql: string, params: readonly unknown[] = []) {
      const result = await runner.query<R>(sql, [...params]);
      // PGlite reports affectedRows only for writes; pg's rowCount also counts SELECTed rows.
      return { rows: result.rows, rowCount: Math.max(result.affectedRows ?? 0, result.rows.length) };
    },
    async exec(sql: string) {
      await runner.exec(sql);
    },
  };
}

class PgliteDatabase implements Database {
  readonly kind = 'pglite' as const;
  readonly location: string;
  readonly #pg: PGlite;
  readonly #q: Queryable;

  constructor(pg: PGlite, location: string) {
    this.#pg = pg;
    this.location = location;
    this.#q = queryable(pg);
  }

  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]) {
    return this.#q.query<R>(sql, params);
  }

  exec(sql: string) {
    return this.#q.exec(sql);
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>, options: Parameters<Database['transaction']>[1] = {}): Promise<T> {
    return this.#pg.transaction(async (tx) => {
      const modes = [options.isolation && `isolation level ${options.isolation}`, options.readOnly && 'read only'].filter(Boolean);
      if (modes.length > 0) await tx.query(`set transaction ${modes.join(', ')}`);
      return fn(queryable(tx));
    });
  }

  async listen(channel: string, onMessage: (payload: string) => void, _options?: ListenOptions) {
    // PGlite splices the channel into LISTEN unquoted; quote it so any name works.
    const unlisten = await this.#pg.listen(quoteIdent(channel), onMessage);
    return () => unlisten();
  }

  async close() {
    if (!this.#pg.closed) await this.#pg.close();
  }
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
