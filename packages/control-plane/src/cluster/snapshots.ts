// Config versions as data planes receive them: the store read once per version (in one transaction),
// hashed, encoded once and shared by every connection; deltas from the changelog for data planes
// that are a few versions behind. When the database is away, the last snapshot built keeps serving.
import { ENTITIES, type EntityName, type EntityRecord } from '@tollgate/schema';
import { configHash, encode, encodeSnapshot } from '@tollgate/protocol';
import type { EntityStore } from '../store/index.ts';

export interface BuiltSnapshot {
  version: number;
  hash: string;
  entities: Partial<Record<EntityName, EntityRecord[]>>;
  /** Entity type → id → record, for building deltas. */
  byId: Map<string, Map<string, EntityRecord>>;
  /** The snapshot message, encoded once for every data plane. */
  encoded: Buffer;
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
  readonly #deltas = new Map<number, Buffer>();

  constructor(store: EntityStore, log: Logger) {
    this.#store = store;
    this.#log = log;
  }

  get latest(): BuiltSnapshot | undefined {
    return this.#latest;
  }

  /** Reads the store if its version moved; on a database error keeps (and returns) the last snapshot. */
  refresh(): Promise<BuiltSnapshot | undefined> {
    this.#building ??= this.#build().finally(() => {
      this.#building = undefined;
    });
    return this.#building;
  }

  async #build(): Promise<BuiltSnapshot | undefined> {
    const started = performance.now();
    try {
      const result = await this.#store.transaction(async (tx) => {
        // The version first: the rows read after it are at least that new, never older.
        const version = await tx.configVersion();
        if (this.#latest !== undefined && this.#latest.version === version) return undefined;
        const entities: Partial<Record<EntityName, EntityRecord[]>> = {};
        for (const def of ENTITIES) {
          const rows = await tx.all(def);
          if (rows.length > 0) entities[def.name] = rows;
        }
        return { version, entities };
      });
      if (result === undefined) return this.#latest;
      const byId = new Map<string, Map<string, EntityRecord>>();
      let count = 0;
      for (const [name, rows] of Object.entries(result.entities)) {
        byId.set(name, new Map(rows.map((r) => [r.id, r])));
        count += rows.length;
      }
      const hash = configHash(result.entities);
      const snapshot: BuiltSnapshot = {
        version: result.version,
        hash,
        entities: result.entities,
        byId,
        encoded: encodeSnapshot(result.version, hash, result.entities),
        count,
        buildMs: performance.now() - started,
      };
      this.#latest = snapshot;
      this.#deltas.clear();
      this.#log.info(`config version ${snapshot.version}: ${count} entities, hash ${hash.slice(0, 12)}…, ${snapshot.encoded.length} bytes, built in ${snapshot.buildMs.toFixed(0)} ms`);
      return snapshot;
    } catch (err) {
      this.#log.error('could not read the config from the store; data planes keep getting the last snapshot', err);
      return this.#latest;
    }
  }

  /**
   * The encoded delta from `from` to the latest version, or undefined when a full snapshot is the
   * better answer (unknown or future version, or a delta that would not be much smaller).
   */
  async deltaFrom(from: number): Promise<Buffer | undefined> {
    const latest = this.#latest;
    if (latest === undefined || from <= 0 || from >= latest.version) return undefined;
    const cached = this.#deltas.get(from);
    if (cached !== undefined) return cached;
    let rows;
    try {
      rows = await this.#store.changesSince(from, latest.count + 1);
    } catch {
      return undefined;
    }
    // A changelog longer than the config itself: the snapshot is smaller.
    if (rows.length > latest.count) return undefined;
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
    if (encoded.length >= latest.encoded.length / 2) return undefined;
    this.#deltas.set(from, encoded);
    return encoded;
  }
}
