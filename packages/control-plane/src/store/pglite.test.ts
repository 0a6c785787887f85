// The store contract on embedded PGlite (in memory), plus what only PGlite has: a data directory.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { services } from '@tollgate/schema';
import { afterAll, describe, expect, it } from 'vitest';
import { changesContract } from './changes.case.ts';
import { entityStoreContract } from './entity-store.case.ts';
import { openStore } from './index.ts';
import { migrateUp } from './migrate.ts';
import { openPglite } from './pglite.ts';
import { make, type StoreHarness } from './test-fixtures.ts';

const harness: StoreHarness = {
  async open() {
    const db = await openPglite();
    await migrateUp(db);
    return db;
  },
  fresh: () => openPglite(),
};

describe('store on PGlite', () => {
  describe('entities', () => entityStoreContract(harness));
  describe('changes', () => changesContract(harness));

  describe('data directory', () => {
    const dirs: string[] = [];
    afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

    it('keeps data, version and changelog across close and reopen', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'tollgate-pglite-'));
      dirs.push(dir);
      const svc = make.service('kept');
      const first = await openStore({ dataDir: join(dir, 'data'), migrations: 'up' });
      await first.store.insert(services, svc);
      await first.db.close();

      const second = await openStore({ dataDir: join(dir, 'data'), migrations: 'check' });
      try {
        expect(second.db.location).toBe(join(dir, 'data'));
        expect(await second.store.get(services, svc.id)).toEqual(svc);
        expect(await second.store.configVersion()).toBe(1);
        expect(await second.store.changesSince(0)).toEqual([{ version: 1, entity: 'services', id: svc.id, op: 'insert' }]);
      } finally {
        await second.db.close();
      }
    });
  });
});
