// Config versions as data planes receive them: the store read once per version (in one transaction),
// hashed, encoded once and shared by every connection; deltas from the changelog for data planes
// that are a few versions behind. When the database is away, the last snapshot built keeps serving.
import { ENTITIES, entityByName, type EntityName, type EntityRecord } from '@tollgate/schema';
import { applyDelta, configHash, encode, encodeSnapshot, type EntityChange } from '@tollgate/protocol';
import { CONSISTENT_READ, type EntityStore } from '../store/index.ts';

export interface BuiltSnapshot {
  version: number;
  hash: string;
  entities: Partial<Record<EntityName, EntityRecord[]>>;
  /** Entity type → id → record, for building deltas. */
  byId: Map<string, Map<string, EntityRecord>>;
  /** The snapshot message, encoded once (on first need) for every data plane. */
  readonly encoded: Buffer;
  count: number;
  buildMs: number;
}

export interface Logger {
  info(message: string): void;
  error(message: string, err?: unknown): void;
}

export class SnapshotSource {
  readonly #store: EntityStore;
  readonly #log: Logger;
  #latest: BuiltSnapshot | undefined;
  #building: Promise<BuiltSnapshot | undefined> | undefined;
  #failing = false;
  /** The build queued behind the running one (see refresh). */
  #next: Promise<BuiltSnapshot | undefined> | undefined;
  readonly #deltas = new Map<number, Buffer>();
  /** Deltas being computed, so a thousand data planes at the same version share one computation. */
  readonly #pendingDeltas = new Map<number, Promise<Buffer | undefined>>();

  constructor(store: EntityStore, log: Logger) {
    this.#store = store;
    this.#log = log;
  }

  get latest(): BuiltSnapshot | undefined {
    return this.#latest;
  }

  /** The last read of the store failed: `latest` may miss changes, so the caller should read again later. */
  get failing(): boolean {
    return this.#failing;
  }

  /**
   * Reads the store if its version moved; on a database error keeps (and returns) the last snapshot.
   * Callers are told of a change after it committed, so the build that answers them must start after
   * the call: one already running may have read the version before that change. Such a call waits for
   * one more build, which every call made meanwhile shares.
   */
  refresh(): Promise<BuiltSnapshot | undefined> {
    if (this.#building === undefined) {
      this.#building = this.#build().finally(() => {
        this.#building = undefined;
      });
      return this.#building;
    }
    this.#next ??= this.#building.then(() => {
      this.#next = undefined;
      return this.refresh();
    });
    return this.#next;
  }

  async #build(): Promise<BuiltSnapshot | undefined> {
    const started = performance.now();
    const previous = this.#latest;
    try {
      const result = await this.#store.transaction(async (tx) => {
        // The version first: the rows read after it are at least that new, never older.
        const version = await tx.configVersion();
        if (previous !== undefined && previous.version === version) return undefined;
        // A few versions on: apply the changelog to the previous snapshot instead of reading everything.
        if (previous !== undefined) {
          const most = Math.max(100, Math.floor(previous.count / 4));
          const rows = await tx.changesSince(previous.version, most + 1);
          // null: the changelog was pruned past the previous snapshot, so read everything.
          if (rows !== null && rows.length <= most) {
            const changed = new Map<string, { entity: EntityName; id: string }>();
            for (const row of rows) changed.set(`${row.entity}\u0000${row.id}`, { entity: row.entity as EntityName, id: row.id });
            const changes: EntityChange[] = [];
            for (const { entity, id } of changed.values()) {
              const record = await tx.get(entityByName(entity), id);
              changes.push(record === null ? { entity, id, op: 'delete' } : { entity, id, op: 'upsert', record });
            }
            return { version, entities: applyDelta(previous.entities, changes), changes };
          }
        }
        const entities: Partial<Record<EntityName, EntityRecord[]>> = {};
        for (const def of ENTITIES) {
          const rows = await tx.all(def);
          if (rows.length > 0) entities[def.name] = rows;
        }
        return { version, entities, changes: undefined };
      }, CONSISTENT_READ);
      this.#failing = false;
      if (result === undefined) return this.#latest;
      const snapshot = this.#snapshot(result.version, result.entities, previous, result.changes, started);
      this.#latest = snapshot;
      this.#deltas.clear();
      this.#pendingDeltas.clear();
      // Most data planes hold the previous version: their delta is exactly these changes.
      if (previous !== undefined && result.changes !== undefined) {
        this.#deltas.set(previous.version, encode({ type: 'delta', from: previous.version, version: snapshot.version, hash: snapshot.hash, changes: result.changes }));
      }
      this.#log.info(`config version ${snapshot.version}: ${snapshot.count} entities, hash ${snapshot.hash.slice(0, 12)}…, built in ${snapshot.buildMs.toFixed(0)} ms${result.changes !== undefined ? ` from ${result.changes.length} change(s)` : ''}`);
      return snapshot;
    } catch (err) {
      this.#failing = true;
      this.#log.error('could not read the config from the store; data planes keep getting the last snapshot', err);
      return this.#latest;
    }
  }

  #snapshot(version: number, entities: Partial<Record<EntityName, EntityRecord[]>>, previous: BuiltSnapshot | undefined, changes: EntityChange[] | undefined, started: number): BuiltSnapshot {
    let byId: Map<string, Map<string, EntityRecord>>;
    if (previous !== undefined && changes !== undefined) {
      // Copy only the id maps of the entity types that changed.
      byId = new Map(previous.byId);
      for (const name of new Set(changes.map((c) => c.entity))) byId.set(name, new Map((entities[name] ?? []).map((r) => [r.id, r])));
    } else {
      byId = new Map(Object.entries(entities).map(([name, rows]) => [name, new Map(rows.map((r) => [r.id, r]))]));
    }
    let count = 0;
    for (const rows of Object.values(entities)) count += rows.length;
    const hash = configHash(entities);
    let encoded: Buffer | undefined;
    return {
      version,
      hash,
      entities,
      byId,
      // Compressing megabytes costs hundreds of ms: only done when a data plane needs a full snapshot.
      get encoded() {
        return (encoded ??= encodeSnapshot(version, hash, entities));
      },
      count,
      buildMs: performance.now() - started,
    };
  }

  /**
   * The encoded delta from `from` to the latest version, or undefined when a full snapshot is the
   * better answer (unknown or future version, or a delta that would not be much smaller).
   */
  deltaFrom(from: number): Promise<Buffer | undefined> {
    const latest = this.#latest;
    if (latest === undefined || from <= 0 || from >= latest.version) return Promise.resolve(undefined);
    const cached = this.#deltas.get(from);
    if (cached !== undefined) return Promise.resolve(cached);
    let pending = this.#pendingDeltas.get(from);
    if (pending === undefined) {
      pending = this.#computeDelta(latest, from).finally(() => this.#pendingDeltas.delete(from));
      this.#pendingDeltas.set(from, pending);
    }
    return pending;
  }

  async #computeDelta(latest: BuiltSnapshot, from: number): Promise<Buffer | undefined> {
    let rows;
    try {
      rows = await this.#store.changesSince(from, Math.max(100, latest.count) + 1);
    } catch {
      return undefined;
    }
    // Pruned past `from` (null), or a changelog longer than the config itself: the snapshot it is.
    if (rows === null || rows.length > Math.max(100, latest.count)) return undefined;
    const changed = new Map<string, { entity: EntityName; id: string }>();
    for (const row of rows) {
      if (row.version > latest.version) break;
      changed.set(`${row.entity}\u0000${row.id}`, { entity: row.entity as EntityName, id: row.id });
    }
    if (changed.size > latest.count / 2) return undefined;
    const changes = [...changed.values()].map(({ entity, id }) => {
      const record = latest.byId.get(entity)?.get(id);
      return record === undefined ? { entity, id, op: 'delete' as const } : { entity, id, op: 'upsert' as const, record };
    });
    const encoded = encode({ type: 'delta', from, version: latest.version, hash: latest.hash, changes });
    if (changes.length > latest.count / 4 && encoded.length >= latest.encoded.length / 2) return undefined;
    if (this.#latest === latest) this.#deltas.set(from, encoded);
    return encoded;
  }
}
