// Where a proxy's config comes from without a control plane: the node's own store (traditional role,
// live on every committed change) or a declarative file (DB-less data plane).
import { readFileSync } from 'node:fs';
import type { ConfigSnapshot } from '@tollgate/data-plane';
import type { Logger } from '@tollgate/plugin-sdk';
import { readConfig, validateConfig } from '@tollgate/control-plane';
import type { Database, EntityStore } from '@tollgate/control-plane/store';
import type { EntityPreparer } from '@tollgate/schema';

/** Loads the store now, then again after every committed change (coalescing bursts within `debounceMs`). */
export async function watchStore(db: Database, store: EntityStore, publish: (s: ConfigSnapshot) => unknown, log: Logger, debounceMs = 50): Promise<() => Promise<void>> {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let lastVersion = -1;

  const load = async (): Promise<void> => {
    const version = await store.configVersion();
    if (version === lastVersion) return;
    const config = await readConfig(store);
    lastVersion = version;
    publish({ version, entities: config.entities });
  };
  const run = (): void => {
    if (running !== undefined) {
      again = true;
      return;
    }
    running = load()
      .catch((err: unknown) => log.error('could not read the config from the store; the proxy keeps its current config', { error: String(err) }))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          run();
        }
      });
  };
  const schedule = (): void => {
    if (timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      run();
    }, debounceMs);
  };

  // Subscribed before the first load, so a change committed in between (another node sharing the
  // database) is either in that load or notified; a notification during the load runs another after it.
  const unlisten = await db.listen('tollgate_config', schedule, { onReconnect: schedule });
  running = load().finally(() => (running = undefined));
  try {
    await running;
  } catch (err) {
    await unlisten();
    throw err;
  }
  if (again) {
    again = false;
    run();
  }
  return async () => {
    if (timer !== undefined) clearTimeout(timer);
    await unlisten();
    await running;
  };
}

/** Reads and validates a declarative file into a snapshot; throws the validation error as is. */
export function loadDeclarativeFile(file: string, preparer: EntityPreparer): ConfigSnapshot {
  const config = validateConfig(readFileSync(file, 'utf8'), preparer);
  return { version: 0, entities: config.entities };
}
