// A migrated embedded (PGlite) store for one describe block: opened before its tests, closed after.
import { afterAll, beforeAll } from 'vitest';
import { migrateUp, openStore, type Database, type EntityStore } from '@tollgate/control-plane/store';

/** Registers the block's setup and teardown; `opened` receives the store once it is open. */
export function withMigratedStore(opened: (s: { db: Database; store: EntityStore }) => void): void {
  let db: Database | undefined;
  beforeAll(async () => {
    const s = await openStore({});
    db = s.db;
    await migrateUp(s.db);
    opened(s);
  });
  afterAll(async () => {
    await db?.close();
  });
}
