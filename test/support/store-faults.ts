// A database that commits a write each time someone asks to be notified of changes, before the
// subscription is live: the window in which a node that reads first and subscribes second loses it.
import type { Database } from '@tollgate/control-plane/store';

export function writesWhileSubscribing(db: Database, write: () => Promise<unknown>): Database {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'listen') {
        return async (...args: Parameters<Database['listen']>) => {
          await write();
          return target.listen(...args);
        };
      }
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
