// Losing Postgres: the process stays up, writes fail with StoreUnavailableError (the Admin API's 503),
// and the same store object works again once the server is back, LISTEN included. Runs on a private
// cluster so stopping it cannot disturb test files running beside this one.
import { services } from '@tollgate/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privatePostgresAvailable, startPrivatePostgres, type PgCluster } from '../../../../test/support/postgres.ts';
import { createEntityStore } from './entity-store.ts';
import { StoreUnavailableError } from './errors.ts';
import { migrateUp } from './migrate.ts';
import { openPostgres } from './postgres.ts';
import { make, rejectionOf, waitFor } from './test-fixtures.ts';
import type { Database, EntityStore } from './types.ts';

const reason = privatePostgresAvailable() ? '' : ' (skipped: no Postgres server binaries to start a private cluster)';

describe.skipIf(!privatePostgresAvailable())(`store when Postgres goes away${reason}`, () => {
  let server: PgCluster;
  let db: Database;
  let store: EntityStore;
  const background: unknown[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);
  const notified: string[] = [];
  let reconnects = 0;

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    server = await startPrivatePostgres();
    db = await openPostgres({
      url: server.url,
      connectTimeoutMs: 2000,
      listenBackoff: { initialMs: 50, maxMs: 400 },
      onError: (err) => background.push(err),
    });
    await migrateUp(db);
    store = createEntityStore(db);
    await db.listen('tollgate_config', (p) => notified.push(p), { onReconnect: () => reconnects++ });
  });

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await db?.close();
    await server?.destroy();
  });

  it('refuses writes while the server is down and recovers when it returns', async () => {
    await store.insert(services, make.service('before'));
    await waitFor(() => notified.includes('1'));

    await server.stop();
    expect(await store.ping()).toBe(false);
    const err = await rejectionOf(store.insert(services, make.service('during')));
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(err.message).toBe(`the database at 127.0.0.1:${server.port} is unreachable; writes are refused until it returns`);
    expect(err).toMatchObject({ status: 503, code: 'TG_STORE_UNAVAILABLE' });
    expect(await rejectionOf(store.transaction((tx) => tx.insert(services, make.service('tx'))))).toBeInstanceOf(StoreUnavailableError);
    expect(await rejectionOf(store.configVersion())).toBeInstanceOf(StoreUnavailableError);
    // Give the listener a few failed reconnect attempts: none of them may escape as a crash.
    await new Promise((r) => setTimeout(r, 300));
    expect(background.length).toBeGreaterThan(0);

    await server.start();
    await waitFor(() => store.ping(), 10_000);
    await store.insert(services, make.service('after'));
    expect(await store.configVersion()).toBe(2);
    expect((await store.all(services)).map((s) => s['name']).sort()).toEqual(['after', 'before']);

    await waitFor(() => reconnects > 0, 10_000);
    await store.insert(services, make.service('heard'));
    await waitFor(() => notified.includes('3'));
    expect(unhandled).toEqual([]);
  });

  it('fails a transaction whose connection dies half-way, without crashing', async () => {
    const kept = make.service('kept');
    const err = await rejectionOf(
      store.transaction(async (tx) => {
        await tx.insert(services, make.service('lost'));
        await server.stop();
        await tx.insert(services, kept);
      }),
    );
    expect(err).toBeInstanceOf(StoreUnavailableError);
    await server.start();
    await waitFor(() => store.ping(), 10_000);
    expect(await store.getBy(services, 'name', 'lost')).toBeNull();
    await store.insert(services, kept);
    expect(await store.get(services, kept.id)).toEqual(kept);
    expect(unhandled).toEqual([]);
  });
});
