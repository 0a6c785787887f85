// The EntityStore contract, part 2: config versions, the changelog, NOTIFY, transactions and
// migrations. Every back end runs these same cases (see pglite.test.ts, postgres.test.ts).
import { KongError, routes, services } from '@tollgate/schema';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEntityStore } from './entity-store.ts';
import { StoreNotMigratedError } from './errors.ts';
import { assertMigrated, migrateUp, migrationStatus } from './migrate.ts';
import { ALL_MIGRATIONS, make, rejectionOf, resetDatabase, waitFor, type StoreHarness } from './test-fixtures.ts';
import type { Database, EntityStore } from './types.ts';

export function changesContract(harness: StoreHarness): void {
  let db: Database;
  let store: EntityStore;
  const notified: string[] = [];
  let unlisten: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    db = await harness.open();
    store = createEntityStore(db);
    unlisten = await db.listen('tollgate_config', (payload) => notified.push(payload));
  });
  afterAll(async () => {
    await unlisten?.();
    await db?.close();
  });
  beforeEach(async () => {
    await resetDatabase(db);
    // Let notifications of the previous test's commits arrive before forgetting them.
    await new Promise((r) => setTimeout(r, 30));
    notified.length = 0;
  });

  describe('config version and changelog', () => {
    it('starts at 0 and bumps once per write outside a transaction', async () => {
      expect(await store.configVersion()).toBe(0);
      const svc = await store.insert(services, make.service('svc'));
      await store.update(services, { ...svc, port: 81 });
      expect(await store.configVersion()).toBe(2);
      expect(await store.changesSince(0)).toEqual([
        { version: 1, entity: 'services', id: svc.id, op: 'insert' },
        { version: 2, entity: 'services', id: svc.id, op: 'update' },
      ]);
      expect(await store.changesSince(1)).toHaveLength(1);
    });

    it('bumps once per transaction, with one changelog row per entity (last op wins)', async () => {
      const [svc, route] = await store.transaction(async (tx) => {
        const s = await tx.insert(services, make.service('svc'));
        const r = await tx.insert(routes, make.route('r', s.id));
        await tx.update(services, { ...s, port: 81 });
        expect(await tx.configVersion()).toBe(1);
        return [s, r] as const;
      });
      expect(await store.configVersion()).toBe(1);
      const changes = await store.changesSince(0);
      expect(changes).toHaveLength(2);
      expect(changes).toEqual(
        expect.arrayContaining([
          { version: 1, entity: 'services', id: svc.id, op: 'update' },
          { version: 1, entity: 'routes', id: route.id, op: 'insert' },
        ]),
      );
    });

    it('gives concurrent writers distinct versions', async () => {
      await Promise.all(Array.from({ length: 8 }, (_, i) => store.insert(services, make.service(`p${i}`))));
      expect(await store.configVersion()).toBe(8);
      expect(new Set((await store.changesSince(0))!.map((c) => c.version)).size).toBe(8);
    });

    it('never splits a version when limiting changesSince', async () => {
      await store.insertMany(services, [make.service('a'), make.service('b'), make.service('c')]);
      await store.insert(services, make.service('d'));
      expect(await store.changesSince(0, 1)).toHaveLength(3);
      expect((await store.changesSince(1, 1))!.map((c) => c.version)).toEqual([2]);
    });

    it('prunes all but the newest versions; a reader from before what is kept gets null, not a gap', async () => {
      const svc = await store.insert(services, make.service('svc'));
      for (let port = 81; port <= 84; port++) await store.update(services, { ...svc, port });
      expect(await store.configVersion()).toBe(5);
      expect(await store.pruneChangelog(2)).toBe(3);
      expect(await store.configVersion()).toBe(5);
      expect(await store.changesSince(0)).toBeNull();
      expect(await store.changesSince(2)).toBeNull();
      expect(await store.changesSince(3)).toEqual([
        { version: 4, entity: 'services', id: svc.id, op: 'update' },
        { version: 5, entity: 'services', id: svc.id, op: 'update' },
      ]);
      expect(await store.pruneChangelog(2)).toBe(0);
      await store.update(services, { ...svc, port: 85 });
      expect(await store.changesSince(5)).toEqual([{ version: 6, entity: 'services', id: svc.id, op: 'update' }]);
      expect(await store.changesSince(3)).toHaveLength(3);
    });

    it('never moves the horizon back: prunes keeping more versions, at once or later, leave it where it is', async () => {
      const svc = await store.insert(services, make.service('svc'));
      for (let port = 81; port <= 84; port++) await store.update(services, { ...svc, port });
      await Promise.all([store.pruneChangelog(3), store.pruneChangelog(1), store.pruneChangelog(2)]);
      expect(await store.changesSince(3)).toBeNull();
      expect(await store.changesSince(4)).toHaveLength(1);
      expect(await store.pruneChangelog(4)).toBe(0);
      expect(await store.changesSince(3)).toBeNull();
    });
  });

  describe('notifications', () => {
    it('NOTIFYs the new version after commit', async () => {
      await store.transaction(async (tx) => {
        await tx.insert(services, make.service('svc'));
        await new Promise((r) => setTimeout(r, 100));
        expect(notified).toEqual([]);
      });
      await waitFor(() => notified.length > 0);
      expect(notified).toEqual(['1']);
    });

    it('does not NOTIFY a rolled-back transaction', async () => {
      await rejectionOf(
        store.transaction(async (tx) => {
          await tx.insert(services, make.service('svc'));
          throw new Error('changed my mind');
        }),
      );
      await store.insert(services, make.service('after'));
      await waitFor(() => notified.length > 0);
      await new Promise((r) => setTimeout(r, 100));
      // Version 1 was rolled back with the transaction, so the next write takes 1 again.
      expect(notified).toEqual(['1']);
    });
  });

  describe('transactions', () => {
    it('leaves nothing behind when the function throws half-way', async () => {
      const svc = make.service('svc');
      const err = await rejectionOf(
        store.transaction(async (tx) => {
          await tx.insert(services, svc);
          throw new Error('boom');
        }),
      );
      expect(err.message).toBe('boom');
      expect(await store.get(services, svc.id)).toBeNull();
      expect(await store.configVersion()).toBe(0);
      expect(await store.changesSince(0)).toEqual([]);
    });

    it('rethrows a failed statement even when the function swallows it, and commits nothing', async () => {
      await store.insert(services, make.service('taken'));
      const first = make.service('first');
      const err = await rejectionOf(
        store.transaction(async (tx) => {
          await tx.insert(services, first);
          await tx.insert(services, make.service('taken')).catch(() => undefined);
          return 'done';
        }),
      );
      expect(err).toBeInstanceOf(KongError);
      expect(err).toMatchObject({ kind: 'UNIQUE_VIOLATION' });
      expect(await store.get(services, first.id)).toBeNull();
      expect(await store.configVersion()).toBe(1);
    });

    it('honours read-only and isolation options of the database transaction', async () => {
      const sql = `SELECT current_setting('transaction_isolation') AS level, current_setting('transaction_read_only') AS ro`;
      const modes = await db.transaction(async (tx) => (await tx.query(sql)).rows[0], { isolation: 'serializable', readOnly: true });
      expect(modes).toEqual({ level: 'serializable', ro: 'on' });
      const err = await rejectionOf(db.transaction((tx) => tx.query(`UPDATE "tollgate_config_state" SET "version" = 5`), { readOnly: true }));
      expect(err).toMatchObject({ code: '25006' });
      expect(await store.configVersion()).toBe(0);
    });

    it('runs a nested transaction in the outer one', async () => {
      await store.transaction((tx) => tx.transaction((inner) => inner.insert(services, make.service('nested'))));
      expect(await store.configVersion()).toBe(1);
    });
  });

  describe('migrations', () => {
    it('are idempotent: running up again applies nothing', async () => {
      expect(await migrateUp(db)).toEqual([]);
      expect(await migrationStatus(db)).toEqual({ applied: ALL_MIGRATIONS, pending: [] });
      await expect(assertMigrated(db)).resolves.toBeUndefined();
    });

    it('tell the user how to migrate a fresh database', async () => {
      const fresh = await harness.fresh();
      try {
        expect(await migrationStatus(fresh)).toEqual({ applied: [], pending: ALL_MIGRATIONS });
        const err = await rejectionOf(assertMigrated(fresh));
        expect(err).toBeInstanceOf(StoreNotMigratedError);
        expect(err.message).toContain('run `npx tollgate migrations up` with the same');
        expect(err.message).toContain(fresh.kind === 'postgres' ? '--pg-url' : '--prefix');
        expect(await migrateUp(fresh)).toEqual(ALL_MIGRATIONS);
        await expect(assertMigrated(fresh)).resolves.toBeUndefined();
        expect(await createEntityStore(fresh).configVersion()).toBe(0);
      } finally {
        await fresh.close();
      }
    });
  });
}
