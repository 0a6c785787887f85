// The store's public contract: the Admin API and the declarative importer see only this.
// Two back ends implement the low-level `Database` (pg against a Postgres server, embedded PGlite);
// `EntityStore` is written once on top of it, so both back ends run the same SQL.
import type { EntityDefinition, EntityRecord } from '@tollgate/schema';

/** One SQL round trip. Parameters are positional ($1, $2...). */
export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<{ rows: R[]; rowCount: number }>;
  /** Runs a script of several `;`-separated statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export type BackendKind = 'postgres' | 'pglite';

/** A connection pool or an embedded database. */
export interface Database extends Queryable {
  readonly kind: BackendKind;
  /** Where the data lives, for messages: `host:port`, a data directory, or `memory`. Never carries a password. */
  readonly location: string;
  /** Runs `fn` in one transaction: COMMIT when it resolves, ROLLBACK when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: { readOnly?: boolean; isolation?: 'read committed' | 'repeatable read' | 'serializable' }): Promise<T>;
  /**
   * Subscribes to a NOTIFY channel; the returned function unsubscribes. Notifications sent while the
   * listening connection was down are lost, so `onReconnect` tells the subscriber to re-read what it
   * watches (e.g. the config version) once the subscription is live again.
   */
  listen(channel: string, onMessage: (payload: string) => void, options?: ListenOptions): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface ListenOptions {
  onReconnect?: () => void;
}

export interface PageOptions {
  /** 1..1000 (validated by the caller). */
  size: number;
  /** The opaque token from a previous page, or undefined for the first page. */
  offset?: string | undefined;
  /** Tag filter: entities carrying all (`and`) or any (`or`) of the tags. */
  tags?: { mode: 'and' | 'or'; values: readonly string[] } | undefined;
  /** Equality filters on foreign keys, e.g. `{ service: '<uuid>' }` for /services/{s}/routes. */
  foreign?: Readonly<Record<string, string>> | undefined;
}

export interface Page {
  data: EntityRecord[];
  /** Present when there is a next page. */
  offset?: string | undefined;
}

/** One row of the changelog: which entity changed in which config version. */
export interface ChangeRecord {
  version: number;
  entity: string;
  id: string;
  op: 'insert' | 'update' | 'delete';
}

/**
 * Entity CRUD. Every mutation bumps the global config version and writes changelog rows in the same
 * transaction (database triggers guarantee it), then NOTIFYs `tollgate_config` with the new version.
 * Errors are KongErrors from @tollgate/schema: UNIQUE_VIOLATION (409) with the clashing fields,
 * FOREIGN_KEY_VIOLATION (400) for a missing parent or a delete blocked by a reference,
 * INVALID_OFFSET for a bad page token; `StoreUnavailableError` when the database cannot be reached.
 */
export interface EntityStore {
  readonly kind: BackendKind;
  get(def: EntityDefinition, id: string): Promise<EntityRecord | null>;
  /** Looks up by a unique single field (an endpoint key such as `name`). */
  getBy(def: EntityDefinition, field: string, value: string): Promise<EntityRecord | null>;
  page(def: EntityDefinition, options: PageOptions): Promise<Page>;
  /** All rows of an entity, ordered by id (exports and snapshots). */
  all(def: EntityDefinition): Promise<EntityRecord[]>;
  insert(def: EntityDefinition, record: EntityRecord): Promise<EntityRecord>;
  /** Replaces the stored row with `record` (same id). Returns null when the id does not exist. */
  update(def: EntityDefinition, record: EntityRecord): Promise<EntityRecord | null>;
  /** Inserts or replaces by id. */
  upsert(def: EntityDefinition, record: EntityRecord): Promise<EntityRecord>;
  /** Deletes by id, cascading where the definition says so. Returns the deleted row, or null. */
  delete(def: EntityDefinition, id: string): Promise<EntityRecord | null>;
  /** Inserts many records in few round trips (declarative import); same errors as `insert`. Returns the count. */
  insertMany(def: EntityDefinition, records: readonly EntityRecord[]): Promise<number>;
  /** Deletes every row of an entity (cascading; each row is logged). Returns the count. */
  deleteAll(def: EntityDefinition): Promise<number>;
  /**
   * Runs several operations atomically; they share one config version. A failed statement aborts the
   * whole transaction: later calls in `fn` fail, and the first error is rethrown even if `fn` catches it.
   * Called on a store already bound to a transaction, runs `fn` in that same transaction (and
   * `options` do not apply). A reader of the whole config passes `CONSISTENT_READ`.
   */
  transaction<T>(fn: (store: EntityStore) => Promise<T>, options?: Parameters<Database['transaction']>[1]): Promise<T>;
  /** The current global config version (0 for an empty, never-written store). */
  configVersion(): Promise<number>;
  /**
   * Changelog rows with version > `since`, oldest first. `limit` (default 1000) is soft: a version is
   * never split. Null when the changelog was pruned past `since`: read the whole config instead.
   */
  changesSince(since: number, limit?: number): Promise<ChangeRecord[] | null>;
  /**
   * Deletes the changelog rows of all but the newest `keepVersions` versions (the table would grow
   * forever otherwise). Deltas from older versions are then refused by `changesSince`. Returns the
   * rows deleted.
   */
  pruneChangelog(keepVersions: number): Promise<number>;
  /** True when the database answers a trivial query. */
  ping(): Promise<boolean>;
}

/**
 * For reading the whole config: every table as of one moment. Under READ COMMITTED each statement sees
 * the commits made before it, so a change committed between reading routes and reading services could
 * leave a route whose service is missing.
 */
export const CONSISTENT_READ = { readOnly: true, isolation: 'repeatable read' } as const;
