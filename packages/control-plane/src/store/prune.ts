// The changelog serves deltas to data planes a few versions behind; unpruned it grows by a row per
// entity change for as long as the cluster lives. Every control-plane node prunes (idempotently, in one
// transaction) on start and then on a timer; a data plane older than what is kept gets a full snapshot.
import type { EntityStore } from './types.ts';

/** Versions whose changelog rows are kept: far more than a delta is ever worth sending for. */
export const CHANGELOG_KEEP_VERSIONS = 10_000;

export interface PruneOptions {
  keepVersions?: number;
  everyMs?: number;
  log: { info(message: string): void; warn(message: string): void };
}

/** Prunes now and every `everyMs` (default 10 minutes); returns a function that stops it. */
export function pruneChangelogPeriodically(store: EntityStore, options: PruneOptions): () => void {
  const keep = options.keepVersions ?? CHANGELOG_KEEP_VERSIONS;
  let running = false;
  const prune = async () => {
    if (running) return;
    running = true;
    try {
      const deleted = await store.pruneChangelog(keep);
      if (deleted > 0) options.log.info(`changelog: pruned ${deleted} rows older than the last ${keep} config versions`);
    } catch (err) {
      options.log.warn(`changelog: pruning failed, trying again later: ${(err as Error).message}`);
    } finally {
      running = false;
    }
  };
  void prune();
  const timer = setInterval(() => void prune(), options.everyMs ?? 10 * 60_000);
  timer.unref();
  return () => clearInterval(timer);
}
