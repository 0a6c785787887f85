// The migration's static DDL must match what the store derives from the entity definitions: a table per
// entity, a column per unique field and per foreign key, and the constraints that enforce them.
import { ENTITIES, ENTITY_NAMES } from '@tollgate/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableSpec } from './columns.ts';
import { migrateUp } from './migrate.ts';
import { openPglite } from './pglite.ts';
import type { Database } from './types.ts';

interface Constraint {
  tbl: string;
  type: 'u' | 'f';
  ref: string | null;
  on_delete: string;
  cols: string[];
}

describe('entity tables', () => {
  let db: Database;
  let columns: Map<string, Map<string, string>>;
  let constraints: Constraint[];

  beforeAll(async () => {
    db = await openPglite();
    await migrateUp(db);
    const cols = await db.query<{ table_name: string; column_name: string; data_type: string }>(
      `SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema()`,
    );
    columns = new Map();
    for (const c of cols.rows) {
      if (!columns.has(c.table_name)) columns.set(c.table_name, new Map());
      columns.get(c.table_name)!.set(c.column_name, c.data_type);
    }
    const cons = await db.query<Constraint>(`
      SELECT c.conrelid::regclass::text AS tbl, c.contype AS type, c.confrelid::regclass::text AS ref, c.confdeltype AS on_delete,
        (SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_attribute a WHERE a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)) AS cols
      FROM pg_constraint c WHERE c.contype IN ('u', 'f') AND c.connamespace = current_schema()::regnamespace`);
    constraints = cons.rows;
  });
  afterAll(() => db?.close());

  it('has a table for every entity name', () => {
    for (const name of ENTITY_NAMES) expect([...(columns.get(name)?.keys() ?? [])], name).toEqual(expect.arrayContaining(['id', 'data', 'tags']));
  });

  it.each(ENTITIES.map((def) => [def.name, def] as const))('%s has a column per unique field and foreign key', (name, def) => {
    const table = columns.get(name);
    expect(table, `table ${name}`).toBeDefined();
    for (const col of tableSpec(def).columns) {
      expect(table!.get(col.column), `${name}.${col.column}`).toBe(col.kind === 'fk' ? 'uuid' : 'text');
    }
    for (const unique of def.uniques) {
      const cols = (typeof unique === 'string' ? [unique] : [...unique]).map((f) => tableSpec(def).byField.get(f)!.column).sort();
      const found = constraints.find((c) => c.tbl === name && c.type === 'u' && c.cols.join() === cols.join());
      expect(found, `UNIQUE (${cols.join(', ')}) on ${name}`).toBeDefined();
    }
    for (const [field, fk] of Object.entries(def.foreignKeys)) {
      const found = constraints.find((c) => c.tbl === name && c.type === 'f' && c.cols.join() === `${field}_id`);
      expect(found, `${name}.${field}_id REFERENCES ${fk.entity}`).toMatchObject({ ref: fk.entity, on_delete: fk.onDelete === 'cascade' ? 'c' : 'r' });
    }
  });
});
