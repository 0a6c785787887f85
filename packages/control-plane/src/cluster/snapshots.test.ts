// The control plane's snapshots: built incrementally from the changelog, they must equal a full read,
// and deltas must take a data plane from any recent version to exactly the latest config.
import { describe, expect, it } from 'vitest';
import { applyDelta, configHash, decode } from '@tollgate/protocol';
import { consumers, routes, services } from '@tollgate/schema';
import type { Database, EntityStore } from '../store/index.ts';
import { SnapshotSource } from './snapshots.ts';
import { overriding } from '../../../../test/support/store-faults.ts';
import { withMigratedStore } from '../../../../test/support/store.ts';

const quiet = { info: () => {}, error: () => {} };
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('SnapshotSource', () => {
  let db: Database;
  let store: EntityStore;
  withMigratedStore((s) => ({ db, store } = s));

  it('builds each version from the changelog exactly as a full read would', async () => {
    const incremental = new SnapshotSource(store, quiet);
    await incremental.refresh();
    const history: Array<{ version: number; entities: Awaited<ReturnType<SnapshotSource['refresh']>> }> = [];
    for (let step = 1; step <= 12; step++) {
      await store.insert(services, { id: uuid(step), name: `s${step}`, host: `h${step}.internal`, port: 80, protocol: 'http', created_at: step } as never);
      await store.insert(routes, { id: uuid(100 + step), paths: [`/p${step}`], service: { id: uuid(step) }, protocols: ['http'], created_at: step } as never);
      if (step % 3 === 0) await store.delete(routes, uuid(100 + step - 1));
      if (step % 4 === 0) await store.update(services, { id: uuid(step), name: `s${step}`, host: 'moved.internal', port: 81, protocol: 'http', created_at: step } as never);
      await store.insert(consumers, { id: uuid(200 + step), username: `c${step}`, created_at: step } as never);
      const built = (await incremental.refresh())!;
      const full = (await new SnapshotSource(store, quiet).refresh())!;
      expect(built.version).toBe(full.version);
      expect(built.hash).toBe(full.hash);
      expect(built.count).toBe(full.count);
      history.push({ version: built.version, entities: built });
    }
    // A data plane at an earlier version reaches the latest config through the delta it is sent (or gets
    // the snapshot when more than half the config changed since: here, the oldest versions).
    const latest = incremental.latest!;
    const older = history.slice(0, -1);
    for (const [i, { version, entities }] of older.entries()) {
      const frame = await incremental.deltaFrom(version);
      if (i === older.length - 1) expect(frame, `delta from version ${version}`).toBeDefined();
      if (frame === undefined) continue;
      const msg = decode(frame!, { from: 'control_plane' });
      expect(msg.type).toBe('delta');
      if (msg.type !== 'delta') continue;
      expect(configHash(applyDelta(entities!.entities, msg.changes))).toBe(latest.hash);
    }
  });

  it('reads the whole config when the changelog was pruned past its last snapshot, and sends no delta from before what is kept', async () => {
    const source = new SnapshotSource(store, quiet);
    const first = (await source.refresh())!;
    await store.insert(consumers, { id: uuid(301), username: 'pruned-1', created_at: 1 } as never);
    await store.insert(consumers, { id: uuid(302), username: 'pruned-2', created_at: 1 } as never);
    await store.pruneChangelog(0);
    const built = (await source.refresh())!;
    const full = (await new SnapshotSource(store, quiet).refresh())!;
    expect(built.version).toBe(full.version);
    expect(built.hash).toBe(full.hash);
    expect(await source.deltaFrom(first.version)).toBeUndefined();
    // Versions after the prune are whole again: a data plane at the current version gets a delta.
    await store.insert(consumers, { id: uuid(303), username: 'kept', created_at: 1 } as never);
    await source.refresh();
    const frame = await source.deltaFrom(built.version);
    expect(frame).toBeDefined();
    const msg = decode(frame!, { from: 'control_plane' });
    expect(msg.type === 'delta' && configHash(applyDelta(built.entities, msg.changes))).toBe(source.latest!.hash);
  });

  it('shares one delta computation among data planes asking at once', async () => {
    const source = new SnapshotSource(store, quiet);
    await source.refresh();
    const from = source.latest!.version;
    await store.insert(consumers, { id: uuid(999), username: 'late', created_at: 9 } as never);
    await source.refresh();
    const frames = await Promise.all(Array.from({ length: 50 }, () => source.deltaFrom(from)));
    expect(new Set(frames).size).toBe(1);
    expect(frames[0]!.length).toBeLessThan(1024);
  });

  it('builds again for a change committed while a build was running, instead of answering with that build', async () => {
    // The build finishes reading, then waits on `gate`: the change below lands after its read.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let reads = 0;
    const held = overriding(store, 'transaction', (transaction) => async (...args: Parameters<EntityStore['transaction']>) => {
      const result = await (transaction as EntityStore['transaction'])(...args);
      if (reads++ === 0) await gate;
      return result;
    });
    const source = new SnapshotSource(held, quiet);
    const first = source.refresh();
    await until(() => reads === 1);
    await store.insert(consumers, { id: uuid(1001), username: 'during-a-build', created_at: 1 } as never);
    const version = await store.configVersion();
    const second = source.refresh();
    const third = source.refresh();
    open();
    expect((await first)!.version).toBeLessThan(version);
    expect((await second)!.version).toBe(version);
    expect(await third).toBe(await second);
    expect(source.latest!.entities.consumers?.some((c) => c.username === 'during-a-build')).toBe(true);
  });
});

async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!ok()) throw new Error('timed out');
}
