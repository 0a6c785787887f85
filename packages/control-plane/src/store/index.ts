// The store: open a back end (Postgres server or embedded PGlite), migrate it, and get an EntityStore.
import { createEntityStore } from './entity-store.ts';
import { assertMigrated, migrateUp } from './migrate.ts';
import { openPglite } from './pglite.ts';
import { openPostgres, type PostgresOptions } from './postgres.ts';
import type { Database, EntityStore } from './types.ts';

export type * from './types.ts';
export { CONSISTENT_READ } from './types.ts';
export { createEntityStore } from './entity-store.ts';
export { assertMigrated, migrateUp, migrationStatus, type Migration, type MigrationStatus } from './migrate.ts';
export { MIGRATIONS } from './migrations/index.ts';
export { CHANGELOG_KEEP_VERSIONS, pruneChangelogPeriodically, type PruneOptions } from './prune.ts';
export { isConnectionError, StoreNotMigratedError, StoreUnavailableError } from './errors.ts';
export { openPglite, type PgliteOptions } from './pglite.ts';
export { RetryDelay, type Backoff } from './retry-delay.ts';
export { describeUrl, openPostgres, type PostgresOptions } from './postgres.ts';

export interface OpenStoreOptions {
  /** A Postgres server; when absent, the embedded PGlite is used. */
  pgUrl?: string | undefined;
  /** PGlite's data directory; absent: in memory. Ignored with `pgUrl`. */
  dataDir?: string | undefined;
  /**
   * `up` applies pending migrations, `check` throws StoreNotMigratedError when any is pending, `skip`
   * (the default) does neither: the caller decides, e.g. `migrations status` must see what is pending.
   */
  migrations?: 'up' | 'check' | 'skip';
  /** Extra pg options (pool size, timeouts, error sink). */
  postgres?: Omit<PostgresOptions, 'url'>;
}

/**
 * Opens the configured back end and the entity store on it.
 *
 * @example
 *   const { db, store } = await openStore({ dataDir: '.tollgate/data' });
 *   const version = await store.configVersion();
 *   await db.close();
 */
export async function openStore(options: OpenStoreOptions = {}): Promise<{ db: Database; store: EntityStore }> {
  const db =
    options.pgUrl !== undefined ? await openPostgres({ ...options.postgres, url: options.pgUrl }) : await openPglite({ dataDir: options.dataDir });
  const migrations = options.migrations ?? 'skip';
  try {
    if (migrations === 'up') await migrateUp(db);
    else if (migrations === 'check') await assertMigrated(db);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return { db, store: createEntityStore(db) };
}
