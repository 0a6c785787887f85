// Where a proxy's config comes from without a control plane: the node's own store (traditional role,
// live on every committed change) or a declarative file (DB-less data plane).
import { readFileSync } from 'node:fs';
import type { ConfigSnapshot } from '@tollgate/data-plane';
import type { Logger } from '@tollgate/plugin-sdk';
import { readConfig, validateConfig } from '@tollgate/control-plane';
import { RetryDelay, type Database, type EntityStore } from '@tollgate/control-plane/store';
import type { EntityPreparer } from '@tollgate/schema';

export interface WatchTiming {
  /** Coalesce bursts of changes within this many ms (default 50). */
  debounceMs?: number;
  /** After a failed read, read again after this many ms, doubling up to 30 s (default 1000). */
  retryMs?: number;
}

/**
 * Loads the store now, then again after every committed change, and again later after a read that
 * failed (no notification would come again for the change it missed).
 */
export async function watchStore(db: Database, store: EntityStore, publish: (s: ConfigSnapshot) => unknown, log: Logger, timing: WatchTiming = {}): Promise<() => Promise<void>> {
  const debounceMs = timing.debounceMs ?? 50;
  const retry = new RetryDelay({ initialMs: timing.retryMs ?? 1000, maxMs: 30_000 });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
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
      .then(
        () => retry.reset(),
        (err: unknown) => {
          const delay = retry.take();
          log.error(`could not read the config from the store; the proxy keeps its current config (reading again in ${delay / 1000} s)`, { error: String(err) });
          schedule(delay);
        },
      )
      .finally(() => {
        running = undefined;
        if (again && !stopped) {
          again = false;
          run();
        }
      });
  };
  const schedule = (delay = debounceMs): void => {
    if (timer !== undefined || stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      run();
    }, delay);
  };
  const notified = () => schedule();

  // Subscribed before the first load, so a change committed in between (another node sharing the
  // database) is either in that load or notified; a notification during the load runs another after it.
  const unlisten = await db.listen('tollgate_config', notified, { onReconnect: notified });
  const stop = async () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    await unlisten();
    await running;
  };
  running = load().finally(() => (running = undefined));
  try {
    await running;
  } catch (err) {
    await stop();
    throw err;
  }
  if (again) {
    again = false;
    run();
  }
  return stop;
}

/** Reads and validates a declarative file into a snapshot; throws the validation error as is. */
export function loadDeclarativeFile(file: string, preparer: EntityPreparer): ConfigSnapshot {
  const config = validateConfig(readFileSync(file, 'utf8'), preparer);
  return { version: 0, entities: config.entities };
}
