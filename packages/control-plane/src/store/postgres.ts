// The server back end: a pg Pool against a Postgres server. It survives the server going away:
// pool and client 'error' events are handled (an unhandled one would crash the process), failures to
// reach the server become StoreUnavailableError, and the next query simply tries to connect again.
import pg from 'pg';
import { isConnectionError, StoreUnavailableError } from './errors.ts';
import { PgListener, type Backoff } from './pg-listener.ts';
import type { Database, ListenOptions, Queryable } from './types.ts';

export interface PostgresOptions {
  /** `postgres://user:pass@host:port/db`. */
  url: string;
  /** Pool size (default 10). */
  max?: number;
  /** Give up connecting after this long (default 5000 ms). */
  connectTimeoutMs?: number;
  /** Reconnect delays of the LISTEN connection (default 250 ms doubling to 10 s). */
  listenBackoff?: Backoff;
  /** Background connection trouble (idle clients dying, the listener losing the server). Default: console.warn. */
  onError?: (err: unknown) => void;
}

/**
 * Opens a pool; it connects lazily, so this succeeds even while the server is down.
 *
 * @example
 *   const db = await openPostgres({ url: 'postgres://tollgate@127.0.0.1:5432/tollgate' });
 *   await assertMigrated(db);
 */
export async function openPostgres(options: PostgresOptions): Promise<Database> {
  return new PostgresDatabase(options);
}

/** `host:port` of a connection URL, without credentials. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    const host = u.hostname !== '' ? u.hostname : (u.searchParams.get('host') ?? 'localhost');
    return `${host}:${u.port !== '' ? u.port : (u.searchParams.get('port') ?? '5432')}`;
  } catch {
    return 'the configured address';
  }
}

function defaultOnError(err: unknown): void {
  console.warn(`[tollgate] store: ${err instanceof Error ? err.message : String(err)}`);
}

type Begin = Parameters<Database['transaction']>[1];

class PostgresDatabase implements Database {
  readonly kind = 'postgres' as const;
  readonly location: string;
  readonly #pool: pg.Pool;
  readonly #listener: PgListener;
  readonly #onError: (err: unknown) => void;

  constructor(options: PostgresOptions) {
    this.location = describeUrl(options.url);
    this.#onError = options.onError ?? defaultOnError;
    const config: pg.ClientConfig = {
      connectionString: options.url,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      keepAlive: true,
      application_name: 'tollgate',
    };
    this.#pool = new pg.Pool({ ...config, max: options.max ?? 10, idleTimeoutMillis: 30_000 });
    // Idle clients whose server dies emit here; the pool has already discarded them.
    this.#pool.on('error', (err) => this.#onError(err));
    this.#listener = new PgListener(config, options.listenBackoff ?? { initialMs: 250, maxMs: 10_000 }, this.#onError);
  }

  async query<R = Record<string, unknown>>(sql: string, params: readonly unknown[] = []) {
    try {
      const result = await this.#pool.query(sql, [...params]);
      return { rows: result.rows as R[], rowCount: result.rowCount ?? result.rows.length };
    } catch (err) {
      throw this.#map(err);
    }
  }

  async exec(sql: string) {
    try {
      // A multi-statement script answers with an array of results; nothing in them is needed.
      await this.#pool.query(sql);
    } catch (err) {
      throw this.#map(err);
    }
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>, options: Begin = {}): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (err) {
      throw this.#map(err);
    }
    // A checked-out client has no pool listener: a socket error between two queries would be unhandled.
    let broken: Error | undefined;
    const onError = (err: Error) => {
      broken = err;
      this.#onError(err);
    };
    client.on('error', onError);
    try {
      await client.query(beginStatement(options));
      const result = await fn(this.#bind(client));
      const commit = await client.query('COMMIT');
      // COMMIT of a transaction in which a statement failed is a silent ROLLBACK; never report success.
      if (commit.command === 'ROLLBACK') throw new Error('the transaction was rolled back: a statement in it failed');
      return result;
    } catch (err) {
      if (err instanceof StoreUnavailableError || isConnectionError(err)) broken ??= err instanceof Error ? err : new Error(String(err));
      else await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      throw this.#map(err);
    } finally {
      client.off('error', onError);
      client.release(broken ?? false);
    }
  }

  listen(channel: string, onMessage: (payload: string) => void, options?: ListenOptions) {
    return this.#listener.listen(channel, onMessage, options);
  }

  async close() {
    await this.#listener.close();
    await this.#pool.end();
  }

  #bind(client: pg.PoolClient): Queryable {
    return {
      query: async <R>(sql: string, params: readonly unknown[] = []) => {
        try {
          const result = await client.query(sql, [...params]);
          return { rows: result.rows as R[], rowCount: result.rowCount ?? result.rows.length };
        } catch (err) {
          throw this.#map(err);
        }
      },
      exec: async (sql: string) => {
        try {
          await client.query(sql);
        } catch (err) {
          throw this.#map(err);
        }
      },
    };
  }

  #map(err: unknown): unknown {
    if (err instanceof StoreUnavailableError || !isConnectionError(err)) return err;
    return new StoreUnavailableError(this.location, err);
  }
}

function beginStatement(options: Begin = {}): string {
  const modes = [options.isolation && `isolation level ${options.isolation}`, options.readOnly && 'read only'].filter(Boolean);
  return modes.length > 0 ? `BEGIN ${modes.join(', ')}` : 'BEGIN';
}
