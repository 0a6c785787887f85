// A traditional node follows its store: a change another node commits while this one starts watching
// must be served, not wait for the next change.
import { describe, expect, it } from 'vitest';
import type { ConfigSnapshot } from '@tollgate/data-plane';
import { consumers } from '@tollgate/schema';
import type { Database, EntityStore } from '@tollgate/control-plane/store';
import { flakyStore, writesWhileSubscribing } from '../../../../test/support/store-faults.ts';
import { watchStore } from './sources.ts';
import { withMigratedStore } from '../../../../test/support/store.ts';

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

describe('watchStore', () => {
  let db: Database;
  let store: EntityStore;
  withMigratedStore((s) => ({ db, store } = s));

  it('publishes a change committed while it subscribes to the change notifications', async () => {
    const racing = writesWhileSubscribing(db, () => store.insert(consumers, { id: '00000000-0000-4000-8000-000000000002', username: 'while-watching', created_at: 1 } as never));
    const published: ConfigSnapshot[] = [];
    const unwatch = await watchStore(racing, store, (s) => published.push(s), quiet);
    try {
      expect(published.at(-1)?.version).toBe(await store.configVersion());
      expect(published.at(-1)?.entities.consumers?.map((c) => c.username)).toContain('while-watching');
    } finally {
      await unwatch();
    }
  });

  it('reads the store again after a read that failed, so the change that prompted it is still published', async () => {
    const flaky = flakyStore(store, 'configVersion');
    const published: ConfigSnapshot[] = [];
    const unwatch = await watchStore(db, flaky.store, (s) => published.push(s), quiet, { debounceMs: 10, retryMs: 50 });
    try {
      flaky.fail(2);
      await store.insert(consumers, { id: '00000000-0000-4000-8000-000000000004', username: 'after-a-failed-read', created_at: 1 } as never);
      const version = await store.configVersion();
      for (let i = 0; i < 100 && published.at(-1)?.version !== version; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(flaky.left()).toBe(0);
      expect(published.at(-1)?.version).toBe(version);
    } finally {
      await unwatch();
    }
  });
});
