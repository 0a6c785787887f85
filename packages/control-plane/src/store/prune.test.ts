// The periodic pruning a control-plane node runs: on start and then on its timer, on a real (PGlite) store.
import { services } from '@tollgate/schema';
import { describe, expect, it } from 'vitest';
import type { Database, EntityStore } from './index.ts';
import { pruneChangelogPeriodically } from './prune.ts';
import { make, waitFor } from './test-fixtures.ts';
import { withMigratedStore } from '../../../../test/support/store.ts';

describe('pruneChangelogPeriodically', () => {
  let db: Database;
  let store: EntityStore;
  withMigratedStore((s) => ({ db, store } = s));

  it('prunes on start and again on its timer, keeping the newest versions, and stops when told', async () => {
    const svc = await store.insert(services, make.service('svc'));
    for (let port = 81; port <= 85; port++) await store.update(services, { ...svc, port });
    const logs: string[] = [];
    const stop = pruneChangelogPeriodically(store, { keepVersions: 2, everyMs: 50, log: { info: (m) => logs.push(m), warn: (m) => logs.push(m) } });
    try {
      await waitFor(async () => (await store.changesSince(3)) === null);
      expect(await store.changesSince(4)).toHaveLength(2);
      expect(logs).toContain('changelog: pruned 4 rows older than the last 2 config versions');
      await store.update(services, { ...svc, port: 86 });
      await waitFor(async () => (await store.changesSince(4)) === null);
      expect(await store.changesSince(5)).toHaveLength(2);
    } finally {
      stop();
    }
    await store.update(services, { ...svc, port: 87 });
    await new Promise((r) => setTimeout(r, 200));
    expect(await store.changesSince(5)).toHaveLength(3);
  });
});
