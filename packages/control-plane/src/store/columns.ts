// How an entity definition maps onto its table: which columns beside id/data/tags it has (one per
// unique field, one `<field>_id` per foreign key) and the value each column takes from a record.
// Derived from the definition, so the store has no per-entity code.
import type { EntityDefinition, EntityRecord } from '@tollgate/schema';

export interface ColumnSpec {
  readonly column: string;
  /** The record field the column mirrors. */
  readonly field: string;
  /** `fk`: the record holds `{ id }` or null and the column holds the id. */
  readonly kind: 'value' | 'fk';
}

export interface TableSpec {
  readonly table: string;
  /** `"table"`, quoted for SQL. */
  readonly sqlTable: string;
  readonly columns: readonly ColumnSpec[];
  readonly byField: ReadonlyMap<string, ColumnSpec>;
  readonly byColumn: ReadonlyMap<string, ColumnSpec>;
}

/** Quotes an identifier: every table and column name goes through this (`group` is reserved). */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

const cache = new WeakMap<EntityDefinition, TableSpec>();

export function tableSpec(def: EntityDefinition): TableSpec {
  let spec = cache.get(def);
  if (spec !== undefined) return spec;
  const byField = new Map<string, ColumnSpec>();
  const add = (field: string) => {
    if (byField.has(field)) return;
    const fk = Object.hasOwn(def.foreignKeys, field);
    byField.set(field, { field, column: fk ? `${field}_id` : field, kind: fk ? 'fk' : 'value' });
  };
  for (const unique of def.uniques) for (const field of typeof unique === 'string' ? [unique] : unique) add(field);
  for (const field of Object.keys(def.foreignKeys)) add(field);
  const columns = [...byField.values()];
  spec = { table: def.name, sqlTable: ident(def.name), columns, byField, byColumn: new Map(columns.map((c) => [c.column, c])) };
  cache.set(def, spec);
  return spec;
}

/** The column's value for a record: the referenced id for a foreign key, text otherwise, null when unset. */
export function columnValue(spec: ColumnSpec, record: EntityRecord): string | null {
  const value = record[spec.field];
  if (value === undefined || value === null) return null;
  if (spec.kind === 'fk') {
    const id = (value as { id?: unknown }).id;
    return typeof id === 'string' ? id : null;
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}
