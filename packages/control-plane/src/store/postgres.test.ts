// The store contract on a real Postgres server (a fresh database per harness call on the throwaway
// cluster of test/support/postgres.ts), plus what needs several connections: racing migrations.
import { describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAvailable, postgresSkipReason } from '../../../../test/support/postgres.ts';
import { changesContract } from './changes.case.ts';
import { entityStoreContract } from './entity-store.case.ts';
import { migrateUp, migrationStatus } from './migrate.ts';
import { openPostgres } from './postgres.ts';
import { ALL_MIGRATIONS, type StoreHarness } from './test-fixtures.ts';

const quiet = { onError: () => undefined };

const harness: StoreHarness = {
  async open() {
    const db = await openPostgres({ url: await createTestDatabase(), ...quiet });
    await migrateUp(db);
    return db;
  },
  fresh: async () => openPostgres({ url: await createTestDatabase(), ...quiet }),
};

describe.skipIf(!postgresAvailable())(`store on Postgres${postgresSkipReason()}`, () => {
  describe('entities', () => entityStoreContract(harness));
  describe('changes', () => changesContract(harness));

  it('lets exactly one of two nodes starting at once apply the migrations', async () => {
    const url = await createTestDatabase();
    const nodes = await Promise.all([openPostgres({ url, ...quiet }), openPostgres({ url, ...quiet })]);
    try {
      const applied = await Promise.all(nodes.map((db) => migrateUp(db)));
      expect(applied.map((a) => a.length).sort()).toEqual([0, ALL_MIGRATIONS.length]);
      expect(await migrationStatus(nodes[0]!)).toEqual({ applied: ALL_MIGRATIONS, pending: [] });
    } finally {
      await Promise.all(nodes.map((db) => db.close()));
    }
  });
});
