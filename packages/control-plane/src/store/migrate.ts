// Applying and checking schema migrations. Two nodes starting at once must not both apply one, so
// migrateUp runs in one transaction that first takes a cluster-wide advisory lock.
import { StoreNotMigratedError } from './errors.ts';
import { MIGRATIONS, type Migration } from './migrations/index.ts';
import type { Database, Queryable } from './types.ts';

export type { Migration };

/** 'tollgate' in ASCII, as the advisory lock key every node agrees on. */
const LOCK_KEY = '8389750308618319973';

export interface MigrationStatus {
  applied: string[];
  pending: string[];
}

async function appliedIds(q: Queryable): Promise<string[]> {
  const exists = await q.query<{ t: string | null }>(`SELECT to_regclass('tollgate_migrations')::text AS t`);
  if (exists.rows[0]?.t == null) return [];
  const { rows } = await q.query<{ id: string }>(`SELECT "id" FROM "tollgate_migrations" ORDER BY "id"`);
  return rows.map((r) => r.id);
}

function status(applied: string[], migrations: readonly Migration[]): MigrationStatus {
  const done = new Set(applied);
  return { applied, pending: migrations.filter((m) => !done.has(m.id)).map((m) => m.id) };
}

/** Which migrations this database has, and which it still needs. */
export async function migrationStatus(db: Queryable, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationStatus> {
  return status(await appliedIds(db), migrations);
}

/**
 * Applies every pending migration, in order, in one transaction; a no-op when none is pending.
 * Returns the ids it applied.
 *
 * @example
 *   const { db } = await openStore({ pgUrl });
 *   await migrateUp(db); // ['001_initial'] the first time, [] after
 */
export async function migrateUp(db: Database, migrations: readonly Migration[] = MIGRATIONS): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${LOCK_KEY})`);
    await tx.exec(`CREATE TABLE IF NOT EXISTS "tollgate_migrations" (
      "id" text PRIMARY KEY,
      "applied_at" timestamptz NOT NULL DEFAULT now()
    )`);
    const { pending } = status(await appliedIds(tx), migrations);
    for (const id of pending) {
      const migration = migrations.find((m) => m.id === id)!;
      await tx.exec(migration.up);
      await tx.query(`INSERT INTO "tollgate_migrations" ("id") VALUES ($1)`, [id]);
    }
    return pending;
  });
}

/**
 * Throws StoreNotMigratedError when a migration is pending, naming the command that fixes it.
 * (A database unreachable at this point throws StoreUnavailableError instead.)
 */
export async function assertMigrated(db: Database, migrations: readonly Migration[] = MIGRATIONS): Promise<void> {
  const { pending } = await migrationStatus(db, migrations);
  if (pending.length === 0) return;
  const flag = db.kind === 'postgres' ? '--pg-url' : '--prefix';
  throw new StoreNotMigratedError(
    `the database at ${db.location} needs migrations (pending: ${pending.join(', ')}); ` +
      `run \`npx tollgate migrations up\` with the same ${flag} to apply them`,
    pending,
  );
}
