// Stores and databases that misbehave on cue, for the code that follows the store's changes.
import type { Database, EntityStore } from '@tollgate/control-plane/store';

/**
 * `target` with member `name` replaced by `replacement(original)` (the original bound to `target`); every
 * other member as is, methods bound to it, so private fields keep working.
 */
export function overriding<T extends object>(target: T, name: PropertyKey, replacement: (original: unknown) => unknown): T {
  return new Proxy(target, {
    get(t, prop) {
      const value = Reflect.get(t, prop) as unknown;
      if (prop === name) return replacement(typeof value === 'function' ? value.bind(t) : value);
      return typeof value === 'function' ? value.bind(t) : value;
    },
  });
}

/**
 * A database that commits a write each time someone asks to be notified of changes, before the
 * subscription is live: the window in which a node that reads first and subscribes second loses it.
 */
export function writesWhileSubscribing(db: Database, write: () => Promise<unknown>): Database {
  return overriding(db, 'listen', (listen) => async (...args: Parameters<Database['listen']>) => {
    await write();
    return (listen as Database['listen'])(...args);
  });
}

/** A store whose `method` rejects (as a dropped database connection does) the next `fail(n)` times. */
export function flakyStore(store: EntityStore, method: 'transaction' | 'configVersion') {
  let left = 0;
  const flaky = overriding(store, method, (original) => (...args: unknown[]) => {
    if (left === 0) return (original as (...a: unknown[]) => unknown)(...args);
    left--;
    return Promise.reject(new Error('connection terminated unexpectedly'));
  });
  return {
    store: flaky,
    fail: (n: number) => void (left = n),
    /** Failures still to come. */
    left: () => left,
  };
}
