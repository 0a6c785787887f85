// Turns Postgres constraint errors into Kong's: 23505 → UNIQUE_VIOLATION (409) naming the clashing
// fields and values, 23503/23001 → FOREIGN_KEY_VIOLATION naming the missing parent or the referencing child.
// Messages are Kong's (kong/db/errors.lua), so Admin API clients read them unchanged.
import { KongError, type EntityRecord, type FieldErrors } from '@tollgate/schema';
import { columnValue, type TableSpec } from './columns.ts';

interface PgError {
  code?: string;
  detail?: string;
  constraint?: string;
  table?: string;
}

/** Column names from a detail such as `Key (consumer_id, "group")=(…) already exists.` */
function detailColumns(detail: string | undefined): string[] | undefined {
  const match = /^Key \((.+?)\)=\(/.exec(detail ?? '');
  return match?.[1]?.split(', ').map((c) => c.replace(/^"(.*)"$/, '$1').replaceAll('""', '"'));
}

/** Lua-table rendering as Kong prints keys: `{name="svc"}`, `{consumer=null,name="x",service={id="…"}}`. */
export function renderKey(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value !== 'object') return String(value);
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${k}=${renderKey(v)}`).join(',')}}`;
}

function uniqueFields(err: PgError, spec: TableSpec): string[] | undefined {
  const columns = detailColumns(err.detail);
  if (columns !== undefined && columns.every((c) => spec.byColumn.has(c))) return columns.map((c) => spec.byColumn.get(c)!.field);
  // No usable detail: find the column set whose default constraint name is the one reported.
  for (const spec1 of spec.columns) if (err.constraint === `${spec.table}_${spec1.column}_key`) return [spec1.field];
  return undefined;
}

function fieldValue(record: EntityRecord | undefined, field: string): unknown {
  const value = record?.[field];
  return value === undefined ? null : value;
}

function uniqueViolation(err: PgError, spec: TableSpec, record: EntityRecord | undefined): KongError {
  if (err.constraint === `${spec.table}_pkey`) {
    const key = { id: record?.id ?? null };
    return new KongError('PRIMARY_KEY_VIOLATION', `primary key violation on key '${renderKey(key)}'`, key as FieldErrors);
  }
  const fields = uniqueFields(err, spec) ?? [];
  const key: Record<string, unknown> = {};
  for (const field of fields) key[field] = fieldValue(record, field);
  const where = fields.length > 0 ? renderKey(key) : `${err.constraint ?? 'unique constraint'}`;
  // Kong puts null for unset parts of a composite key in `fields`; FieldErrors has no null, hence the cast.
  return new KongError('UNIQUE_VIOLATION', `UNIQUE violation detected on '${where}'`, key as FieldErrors);
}

function foreignKeyViolation(err: PgError, spec: TableSpec, record: EntityRecord | undefined): KongError {
  const referencedBy = /is (?:still )?referenced from table "(.+)"/.exec(err.detail ?? '')?.[1];
  if (referencedBy !== undefined) {
    return new KongError('FOREIGN_KEY_VIOLATION', `an existing '${referencedBy}' entity references this '${spec.table}' entity`, {
      '@referenced_by': referencedBy,
    });
  }
  const column = detailColumns(err.detail)?.[0];
  const col = column !== undefined ? spec.byColumn.get(column) : undefined;
  const parent = /is not present in table "(.+)"/.exec(err.detail ?? '')?.[1] ?? 'parent';
  if (col === undefined) return new KongError('FOREIGN_KEY_VIOLATION', `the foreign key does not reference an existing '${parent}' entity.`);
  const ref = fieldValue(record, col.field) as { id: string } | null;
  return new KongError(
    'FOREIGN_KEY_VIOLATION',
    `the foreign key '${renderKey(ref)}' does not reference an existing '${parent}' entity.`,
    { [col.field]: ref as FieldErrors },
  );
}

/** In a multi-row insert, the record a constraint error's detail names (`Key (cols)=(values) …`). */
export function culprit(err: unknown, spec: TableSpec, batch: readonly EntityRecord[]): EntityRecord | undefined {
  const match = /^Key \((.+?)\)=\((.*)\) (?:already exists|is not present)/s.exec((err as PgError | null)?.detail ?? '');
  const columns = detailColumns((err as PgError | null)?.detail);
  if (match === null || columns === undefined) return undefined;
  const render = (r: EntityRecord) =>
    columns.map((c) => (c === 'id' ? r.id : ((spec.byColumn.has(c) ? columnValue(spec.byColumn.get(c)!, r) : null) ?? 'null'))).join(', ');
  return batch.find((r) => render(r) === match[2]);
}

/** The KongError for a constraint error, or the error unchanged. `record` is what was being written. */
export function toKongError(err: unknown, spec: TableSpec, record?: EntityRecord): unknown {
  const code = (err as PgError | null)?.code;
  if (code === '23505') return uniqueViolation(err as PgError, spec, record);
  // 23001 restrict_violation is what newer servers (PGlite's 18) raise for ON DELETE RESTRICT.
  if (code === '23503' || code === '23001') return foreignKeyViolation(err as PgError, spec, record);
  return err;
}
