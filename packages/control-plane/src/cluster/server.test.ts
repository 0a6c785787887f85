// The cluster listener's start: the Admin API takes writes before it, so a change committed while it
// starts must reach data planes, not wait for the next change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumers } from '@tollgate/schema';
import { makeCertificate } from '../../../../test/support/certs.ts';
import { writesWhileSubscribing } from '../../../../test/support/racing-db.ts';
import { migrateUp, openStore, type Database, type EntityStore } from '../store/index.ts';
import { DataPlaneRegistry } from './registry.ts';
import { ClusterServer } from './server.ts';
import { SnapshotSource } from './snapshots.ts';

const quiet = { info: () => {}, error: () => {} };

describe('ClusterServer.listen', () => {
  let db: Database;
  let store: EntityStore;
  beforeAll(async () => {
    ({ db, store } = await openStore({}));
    await migrateUp(db);
  });
  afterAll(async () => {
    await db.close();
  });

  it('includes a change committed while it subscribes to the change notifications', async () => {
    const racing = writesWhileSubscribing(db, () => store.insert(consumers, { id: '00000000-0000-4000-8000-000000000001', username: 'while-starting', created_at: 1 } as never));
    const snapshots = new SnapshotSource(store, quiet);
    const pem = await makeCertificate({ commonName: 'cluster' });
    const server = new ClusterServer({ db: racing, snapshots, registry: new DataPlaneRegistry(), tls: { mode: 'shared', ...pem }, version: '0.0.0', nodeId: 'cp-test', log: quiet });
    await server.listen(0, '127.0.0.1');
    try {
      // Without waiting for any notification: what the first data plane would be sent.
      expect(snapshots.latest?.version).toBe(await store.configVersion());
      expect(snapshots.latest?.entities.consumers?.map((c) => c.username)).toContain('while-starting');
    } finally {
      await server.close();
    }
  });
});
