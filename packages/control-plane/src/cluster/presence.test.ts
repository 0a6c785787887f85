// Two control-plane nodes sharing one database: each lists the other's data planes, a data plane that
// moved is shown as its newest node saw it, and a node that stopped writing stops claiming its links.
import { describe, expect, it } from 'vitest';
import type { Database } from '../store/index.ts';
import { ClusterPresence } from './presence.ts';
import { DataPlaneRegistry } from './registry.ts';
import { overriding } from '../../../../test/support/store-faults.ts';
import { withMigratedStore } from '../../../../test/support/store.ts';

describe('ClusterPresence', () => {
  let db: Database;
  let clock = 1_000_000;
  const now = () => clock;
  withMigratedStore((s) => (db = s.db));

  const node = (id: string) => {
    const registry = new DataPlaneRegistry({ now });
    return { registry, presence: new ClusterPresence(db, registry, id, { now, staleSeconds: 60 }) };
  };

  it("lists the data planes connected to either node, from either node", async () => {
    const a = node('cp-a');
    const b = node('cp-b');
    a.registry.upsert('dp-1', { hostname: 'edge-eu', connected: true, sync_status: 'in_sync', config_version: 7 });
    b.registry.upsert('dp-2', { hostname: 'edge-us', connected: true, sync_status: 'behind' });
    await a.presence.flush();
    await b.presence.flush();
    for (const listing of [await a.presence.list(), await b.presence.list()]) {
      expect(listing.map((p) => [p.id, p.hostname, p.connected, p.sync_status]).sort()).toEqual([
        ['dp-1', 'edge-eu', true, 'in_sync'],
        ['dp-2', 'edge-us', true, 'behind'],
      ]);
    }
    expect((await b.presence.list()).find((p) => p.id === 'dp-1')?.config_version).toBe(7);
  });

  it('shows a data plane that moved to another node as that node last saw it', async () => {
    const a = node('cp-a');
    const b = node('cp-b');
    a.registry.upsert('dp-3', { hostname: 'edge-ap', connected: true, sync_status: 'in_sync' });
    await a.presence.flush();
    clock += 5;
    a.registry.upsert('dp-3', { connected: false, sync_status: 'disconnected' });
    clock += 5;
    b.registry.upsert('dp-3', { hostname: 'edge-ap', connected: true, sync_status: 'in_sync' });
    await b.presence.flush();
    // A's older "disconnected" does not overwrite B's newer row, and A's own list shows B's view.
    await a.presence.flush();
    expect((await a.presence.list()).find((p) => p.id === 'dp-3')).toMatchObject({ connected: true, sync_status: 'in_sync' });
    expect((await b.presence.list()).find((p) => p.id === 'dp-3')).toMatchObject({ connected: true, sync_status: 'in_sync' });
  });

  it("lists a stopped node's data planes as disconnected once its rows are stale", async () => {
    const gone = node('cp-gone');
    const b = node('cp-b');
    gone.registry.upsert('dp-4', { hostname: 'edge-sa', connected: true, sync_status: 'in_sync' });
    await gone.presence.flush();
    expect((await b.presence.list()).find((p) => p.id === 'dp-4')?.connected).toBe(true);
    clock += 61;
    expect((await b.presence.list()).find((p) => p.id === 'dp-4')).toMatchObject({ connected: false, sync_status: 'disconnected' });
  });

  it('writes again what a failed write missed, and lists its own data planes while the database is away', async () => {
    const registry = new DataPlaneRegistry({ now });
    let failing = true;
    const flaky = overriding(db, 'query', (query) => (...args: Parameters<Database['query']>) =>
      failing ? Promise.reject(new Error('connection terminated unexpectedly')) : (query as Database['query'])(...args),
    );
    const errors: unknown[] = [];
    const presence = new ClusterPresence(flaky, registry, 'cp-flaky', { now, onError: (e) => errors.push(e) });
    registry.upsert('dp-5', { hostname: 'edge-af', connected: true });
    await presence.flush();
    expect(errors).toHaveLength(1);
    expect((await presence.list()).map((p) => p.id)).toEqual(['dp-5']);
    failing = false;
    await presence.flush();
    expect((await node('cp-other').presence.list()).some((p) => p.id === 'dp-5')).toBe(true);
  });
});
