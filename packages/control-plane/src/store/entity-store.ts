// EntityStore written once over any Database: generic SQL driven by each entity's TableSpec. The
// config version and changelog are not written here: the tables' triggers do it, so no path skips them.
import { isUuid, type EntityDefinition, type EntityRecord } from '@tollgate/schema';
import { columnValue, ident, tableSpec, type TableSpec } from './columns.ts';
import { decodeOffset, encodeOffset } from './pagination.ts';
import { culprit, toKongError } from './sql-errors.ts';
import type { ChangeRecord, Database, EntityStore, Page, PageOptions, Queryable } from './types.ts';

/**
 * The store over a database whose migrations are applied.
 *
 * @example
 *   const store = createEntityStore(db);
 *   await store.transaction(async (tx) => {
 *     await tx.insert(services, svc);
 *     await tx.insert(routes, route); // one config version for both
 *   });
 */
export function createEntityStore(db: Database): EntityStore {
  return new SqlEntityStore(db, db, undefined);
}

/** The first error inside a transaction: Postgres aborts the transaction on it, so it must surface. */
interface TxState {
  failure: unknown;
}

const DEFAULT_CHANGES_LIMIT = 1000;
/** Changelog rows deleted per statement when pruning, so no statement runs long. */
const PRUNE_BATCH = 5000;

class SqlEntityStore implements EntityStore {
  readonly kind: Database['kind'];
  readonly #db: Database;
  readonly #q: Queryable;
  readonly #tx: TxState | undefined;

  constructor(db: Database, q: Queryable, tx: TxState | undefined) {
    this.kind = db.kind;
    this.#db = db;
    this.#q = q;
    this.#tx = tx;
  }

  /** Runs one statement; constraint errors become KongErrors naming `record` (or the batch row that failed). */
  async #run<R = { data: EntityRecord }>(sql: string, params: readonly unknown[], spec?: TableSpec, record?: EntityRecord | ((err: unknown) => EntityRecord | undefined)) {
    if (this.#tx !== undefined && this.#tx.failure !== undefined) {
      throw new Error('the transaction was aborted by an earlier error', { cause: this.#tx.failure });
    }
    try {
      return await this.#q.query<R>(sql, params);
    } catch (err) {
      const mapped = spec !== undefined ? toKongError(err, spec, typeof record === 'function' ? record(err) : record) : err;
      if (this.#tx !== undefined) this.#tx.failure ??= mapped;
      throw mapped;
    }
  }

  async get(def: EntityDefinition, id: string) {
    if (!isUuid(id)) return null;
    const { sqlTable } = tableSpec(def);
    const { rows } = await this.#run(`SELECT "data" FROM ${sqlTable} WHERE "id" = $1`, [id]);
    return rows[0]?.data ?? null;
  }

  async getBy(def: EntityDefinition, field: string, value: string) {
    const spec = tableSpec(def);
    const col = spec.byField.get(field);
    if (col?.kind === 'fk' && !isUuid(value)) return null;
    const where = col !== undefined ? `${ident(col.column)} = $1` : `"data"->>${literal(field)} = $1`;
    const { rows } = await this.#run(`SELECT "data" FROM ${spec.sqlTable} WHERE ${where} ORDER BY "id" LIMIT 1`, [value]);
    return rows[0]?.data ?? null;
  }

  async page(def: EntityDefinition, options: PageOptions): Promise<Page> {
    const spec = tableSpec(def);
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    if (options.offset !== undefined) where.push(`"id" > ${param(decodeOffset(options.offset))}::uuid`);
    if (options.tags !== undefined && options.tags.values.length > 0) {
      where.push(`"tags" ${options.tags.mode === 'and' ? '@>' : '&&'} ${param([...options.tags.values])}::text[]`);
    }
    for (const [field, id] of Object.entries(options.foreign ?? {})) {
      const col = spec.byField.get(field);
      if (col?.kind !== 'fk') throw new Error(`'${field}' is not a foreign key of ${spec.table}`);
      if (!isUuid(id)) return { data: [] };
      where.push(`${ident(col.column)} = ${param(id)}::uuid`);
    }
    const sql = `SELECT "id", "data" FROM ${spec.sqlTable}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}
      ORDER BY "id" LIMIT ${param(options.size + 1)}`;
    const { rows } = await this.#run<{ id: string; data: EntityRecord }>(sql, params);
    const data = rows.slice(0, options.size).map((r) => r.data);
    const last = rows.length > options.size ? rows[options.size - 1] : undefined;
    return last !== undefined ? { data, offset: encodeOffset(last.id) } : { data };
  }

  async all(def: EntityDefinition) {
    const { rows } = await this.#run(`SELECT "data" FROM ${tableSpec(def).sqlTable} ORDER BY "id"`, []);
    return rows.map((r) => r.data);
  }

  async insert(def: EntityDefinition, record: EntityRecord) {
    return this.#write(def, record, 'insert');
  }

  async update(def: EntityDefinition, record: EntityRecord) {
    const spec = tableSpec(def);
    const values = rowValues(spec, record);
    const sets = ['"data" = $2::jsonb', '"tags" = $3::text[]', ...spec.columns.map((c, i) => `${ident(c.column)} = $${i + 4}`)];
    const sql = `UPDATE ${spec.sqlTable} SET ${sets.join(', ')} WHERE "id" = $1 RETURNING "data"`;
    const { rows } = await this.#run(sql, values, spec, record);
    return rows[0]?.data ?? null;
  }

  async upsert(def: EntityDefinition, record: EntityRecord) {
    return this.#write(def, record, 'upsert');
  }

  async delete(def: EntityDefinition, id: string) {
    if (!isUuid(id)) return null;
    const spec = tableSpec(def);
    const { rows } = await this.#run(`DELETE FROM ${spec.sqlTable} WHERE "id" = $1 RETURNING "data"`, [id], spec);
    return rows[0]?.data ?? null;
  }

  async insertMany(def: EntityDefinition, records: readonly EntityRecord[]) {
    const spec = tableSpec(def);
    const width = 3 + spec.columns.length;
    // Postgres takes at most 65535 parameters per statement; smaller statements also keep PGlite's
    // WASM heap (which never shrinks) from growing to the size of one huge statement.
    const chunk = Math.max(1, Math.min(500, Math.floor(60_000 / width)));
    for (let start = 0; start < records.length; start += chunk) {
      const batch = records.slice(start, start + chunk);
      const params = batch.flatMap((r) => rowValues(spec, r));
      const rows = batch.map((_, i) => `(${rowPlaceholders(spec, i * width).join(', ')})`);
      const sql = `INSERT INTO ${spec.sqlTable} (${columnNames(spec).join(', ')}) VALUES ${rows.join(', ')}`;
      await this.#run(sql, params, spec, (err) => culprit(err, spec, batch));
    }
    return records.length;
  }

  async deleteAll(def: EntityDefinition) {
    const spec = tableSpec(def);
    const { rowCount } = await this.#run(`DELETE FROM ${spec.sqlTable}`, [], spec);
    return rowCount;
  }

  async transaction<T>(fn: (store: EntityStore) => Promise<T>, options?: Parameters<Database['transaction']>[1]): Promise<T> {
    if (this.#tx !== undefined) return fn(this);
    return this.#db.transaction(async (q) => {
      const state: TxState = { failure: undefined };
      const result = await fn(new SqlEntityStore(this.#db, q, state));
      if (state.failure !== undefined) throw state.failure;
      return result;
    }, options);
  }

  async configVersion() {
    const { rows } = await this.#run<{ v: string }>(`SELECT "version"::text AS v FROM "tollgate_config_state"`, []);
    return Number(rows[0]?.v ?? 0);
  }

  /**
   * `limit` caps rows but never splits a version: a reader may resume from the last version it saw.
   * Null when rows after `since` may have been pruned (see `pruneChangelog`).
   */
  async changesSince(since: number, limit = DEFAULT_CHANGES_LIMIT): Promise<ChangeRecord[] | null> {
    const sql = `SELECT "version"::text AS version, "entity", "entity_id"::text AS id, "op" FROM "tollgate_changelog"
      WHERE "version" > $1 AND "version" <= (
        SELECT max("version") FROM (SELECT "version" FROM "tollgate_changelog" WHERE "version" > $1 ORDER BY "version" LIMIT $2) AS head)
      ORDER BY "version", "entity", "entity_id"`;
    const { rows } = await this.#run<Omit<ChangeRecord, 'version'> & { version: string }>(sql, [since, limit]);
    // Read after the rows: a prune committed in between is then seen here, never missed.
    if (since < (await this.#changelogFrom())) return null;
    return rows.map((r) => ({ ...r, version: Number(r.version) }));
  }

  async pruneChangelog(keepVersions: number) {
    // One statement raises the horizon under the config row's lock (the one every write takes), so it
    // never moves back when several control-plane nodes prune at once. The rows behind it are deleted
    // afterwards in batches, without that lock: readers already ignore them (see changesSince).
    const { rows } = await this.#run<{ v: string }>(
      `UPDATE "tollgate_config_state" SET "changelog_from" = GREATEST("changelog_from", "version" - $1) RETURNING "changelog_from"::text AS v`,
      [keepVersions],
    );
    const horizon = Number(rows[0]?.v ?? 0);
    let deleted = 0;
    for (;;) {
      const { rowCount } = await this.#run(
        `DELETE FROM "tollgate_changelog" WHERE ("version", "entity", "entity_id") IN
          (SELECT "version", "entity", "entity_id" FROM "tollgate_changelog" WHERE "version" <= $1 LIMIT ${PRUNE_BATCH})`,
        [horizon],
      );
      deleted += rowCount;
      if (rowCount < PRUNE_BATCH) return deleted;
    }
  }

  async #changelogFrom(): Promise<number> {
    const { rows } = await this.#run<{ v: string }>(`SELECT "changelog_from"::text AS v FROM "tollgate_config_state"`, []);
    return Number(rows[0]?.v ?? 0);
  }

  async ping() {
    try {
      await this.#q.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async #write(def: EntityDefinition, record: EntityRecord, mode: 'insert' | 'upsert') {
    const spec = tableSpec(def);
    const names = columnNames(spec);
    const placeholders = rowPlaceholders(spec, 0);
    const onConflict =
      mode === 'upsert' ? ` ON CONFLICT ("id") DO UPDATE SET ${names.slice(1).map((n) => `${n} = EXCLUDED.${n}`).join(', ')}` : '';
    const sql = `INSERT INTO ${spec.sqlTable} (${names.join(', ')}) VALUES (${placeholders.join(', ')})${onConflict} RETURNING "data"`;
    const { rows } = await this.#run(sql, rowValues(spec, record), spec, record);
    return rows[0]!.data;
  }
}

function columnNames(spec: TableSpec): string[] {
  return ['"id"', '"data"', '"tags"', ...spec.columns.map((c) => ident(c.column))];
}

/** `$n` placeholders of one row whose first parameter is number `base + 1`. */
function rowPlaceholders(spec: TableSpec, base: number): string[] {
  return [`$${base + 1}`, `$${base + 2}::jsonb`, `$${base + 3}::text[]`, ...spec.columns.map((_, i) => `$${base + i + 4}`)];
}

function rowValues(spec: TableSpec, record: EntityRecord): unknown[] {
  if (!isUuid(record.id)) throw new Error(`${spec.table}: a stored record needs a UUID id, got ${JSON.stringify(record.id)}`);
  const tags = Array.isArray(record.tags) ? record.tags : null;
  return [record.id, JSON.stringify(record), tags, ...spec.columns.map((c) => columnValue(c, record))];
}

function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
