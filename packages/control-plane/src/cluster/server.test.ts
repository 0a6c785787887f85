// The cluster listener's bookkeeping: a change committed while it starts, or whose read failed, must
// still reach data planes; a data plane that reconnected stays connected when its old link closes.
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { decode, encode, PROTOCOL_VERSION } from '@tollgate/protocol';
import { consumers } from '@tollgate/schema';
import { makeCertificate } from '../../../../test/support/certs.ts';
import { flakyStore, overriding, writesWhileSubscribing } from '../../../../test/support/store-faults.ts';
import type { Database, EntityStore } from '../store/index.ts';
import { DataPlaneRegistry } from './registry.ts';
import { CLUSTER_PATH, ClusterServer } from './server.ts';
import { SnapshotSource } from './snapshots.ts';
import { withMigratedStore } from '../../../../test/support/store.ts';

const quiet = { info: () => {}, error: () => {} };

describe('ClusterServer', () => {
  let db: Database;
  let store: EntityStore;
  withMigratedStore((s) => ({ db, store } = s));

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

  it('reads the store again after a read that failed, so the change that prompted it still reaches data planes', async () => {
    const flaky = flakyStore(store, 'transaction');
    const snapshots = new SnapshotSource(flaky.store, quiet);
    const pem = await makeCertificate({ commonName: 'cluster' });
    const server = new ClusterServer({ db, snapshots, registry: new DataPlaneRegistry(), tls: { mode: 'shared', ...pem }, version: '0.0.0', nodeId: 'cp-test', log: quiet, debounceMs: 10, retryMs: 50 });
    await server.listen(0, '127.0.0.1');
    try {
      flaky.fail(2);
      await store.insert(consumers, { id: '00000000-0000-4000-8000-000000000003', username: 'after-a-failed-read', created_at: 1 } as never);
      const version = await store.configVersion();
      for (let i = 0; i < 100 && snapshots.latest?.version !== version; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(flaky.left()).toBe(0);
      expect(snapshots.latest?.version).toBe(version);
      expect(snapshots.failing).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('keeps a data plane connected when an older connection of the same node closes after it reconnected', async () => {
    const pem = await makeCertificate({ commonName: 'cluster' });
    const registry = new DataPlaneRegistry();
    const server = new ClusterServer({ db, snapshots: new SnapshotSource(store, quiet), registry, tls: { mode: 'shared', ...pem }, version: '1.0.0', nodeId: 'cp-test', log: quiet });
    const { port } = await server.listen(0, '127.0.0.1');
    const nodeId = '00000000-0000-4000-8000-0000000000dd';
    // A data plane's link: the shared cluster certificate, and a hello that names the node.
    const connect = async () => {
      const ws = new WebSocket(`wss://127.0.0.1:${port}${CLUSTER_PATH}`, { cert: pem.cert, key: pem.key, rejectUnauthorized: false });
      const frames: unknown[] = [];
      ws.on('message', (data: Buffer) => frames.push(decode(data, { from: 'control_plane' })));
      await once(ws, 'open');
      ws.send(encode({ type: 'hello', protocol: PROTOCOL_VERSION, nodeId, hostname: 'dp', version: '1.0.0', labels: {}, plugins: [], configVersion: 0, configHash: '' }));
      for (let i = 0; i < 100 && !frames.some((f) => (f as { type: string }).type === 'snapshot'); i++) await new Promise((resolve) => setTimeout(resolve, 10));
      return ws;
    };
    try {
      const old = await connect();
      const current = await connect();
      expect(registry.get(nodeId)?.connected).toBe(true);
      old.terminate();
      await once(old, 'close');
      for (let i = 0; i < 100 && server.connected > 1; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(server.connected).toBe(1); // the server has seen the old connection close
      expect(registry.get(nodeId)).toMatchObject({ connected: true });
      current.close();
      await once(current, 'close');
      for (let i = 0; i < 100 && registry.get(nodeId)?.connected; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(registry.get(nodeId)).toMatchObject({ connected: false, sync_status: 'disconnected' });
    } finally {
      await server.close();
    }
  });

  it('never sends a data plane an older config after a newer one when two syncs overlap', async () => {
    const pem = await makeCertificate({ commonName: 'cluster' });
    const real = new SnapshotSource(store, quiet);
    // The first delta asked for is slow and comes back empty-handed (too big, say): that sync then
    // falls back to its snapshot, which a sync started meanwhile has already overtaken.
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    let asked = 0;
    const snapshots = overriding(real, 'deltaFrom', (deltaFrom) => (from: number) => (asked++ === 0 ? slow.then(() => undefined) : (deltaFrom as SnapshotSource['deltaFrom'])(from)));
    const server = new ClusterServer({ db, snapshots, registry: new DataPlaneRegistry(), tls: { mode: 'shared', ...pem }, version: '1.0.0', nodeId: 'cp-test', log: quiet, debounceMs: 5 });
    const { port } = await server.listen(0, '127.0.0.1');
    const start = real.latest!;
    const ws = new WebSocket(`wss://127.0.0.1:${port}${CLUSTER_PATH}`, { cert: pem.cert, key: pem.key, rejectUnauthorized: false });
    const versions: number[] = [];
    ws.on('message', (data: Buffer) => {
      const msg = decode(data, { from: 'control_plane' });
      if (msg.type === 'snapshot' || msg.type === 'delta') versions.push(msg.version);
    });
    const until = async (ok: () => boolean) => {
      for (let i = 0; i < 200 && !ok(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    };
    try {
      await once(ws, 'open');
      // In sync with the latest config: nothing is sent until it changes.
      ws.send(encode({ type: 'hello', protocol: PROTOCOL_VERSION, nodeId: '00000000-0000-4000-8000-0000000000ee', hostname: 'dp', version: '1.0.0', labels: {}, plugins: [], configVersion: start.version, configHash: start.hash }));
      await store.insert(consumers, { id: '00000000-0000-4000-8000-000000000005', username: 'overlap-1', created_at: 1 } as never);
      await until(() => asked === 1);
      await store.insert(consumers, { id: '00000000-0000-4000-8000-000000000006', username: 'overlap-2', created_at: 1 } as never);
      const newest = await store.configVersion();
      await until(() => versions.includes(newest));
      release();
      // A ping answered means the server has run what the release let through (the stale sync).
      const pong = new Promise((resolve) => ws.on('message', (data: Buffer) => decode(data, { from: 'control_plane' }).type === 'pong' && resolve(undefined)));
      ws.send(encode({ type: 'ping', t: 1 }));
      await pong;
      expect(versions.at(-1)).toBe(newest);
      expect(versions.every((v) => v === newest)).toBe(true);
    } finally {
      ws.terminate();
      await server.close();
    }
  });
});
