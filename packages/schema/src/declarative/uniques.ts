// Duplicate detection inside one declarative file: every unique field (or field set) of each entity,
// then primary keys. Messages follow Kong's "uniqueness violation: ... already declared".
import type { EntityRecord } from '../entity.ts';
import { isPlainObject } from '../prepare.ts';
import { labelOf, nameOf } from './describe.ts';
import type { DeclarativeErrors } from './errors.ts';
import type { FlatItem } from './flatten.ts';

/** A field's value as it takes part in a unique key: references by id, unset as null. */
function keyPart(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (isPlainObject(value) && typeof value['id'] === 'string') return value['id'];
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** How a duplicated field value reads in the message: a reference shows the entity it points at. */
function shown(item: FlatItem, field: string, value: unknown): string {
  const ref = item.refs[field];
  if (ref !== undefined && typeof ref !== 'string') return nameOf(ref);
  return `${field} '${typeof value === 'string' ? value : JSON.stringify(value)}'`;
}

/**
 * Reports the second and later entities that repeat a unique key of an earlier one.
 * Single-field keys skip unset values; multi-field keys (a plugin's name + scope) count unset parts as equal.
 * Keys that involve an unresolved reference are skipped (that reference is already reported).
 */
export function checkUniques(prepared: ReadonlyArray<readonly [FlatItem, EntityRecord]>, errors: DeclarativeErrors): void {
  const seen = new Map<string, FlatItem>();
  for (const [item, record] of prepared) {
    const { def } = item;
    let skipIdCheck = false; // set once a clearer error (or a skipped key) explains a shared id
    for (const unique of def.uniques) {
      const fields = typeof unique === 'string' ? [unique] : [...unique];
      // An unresolved reference holds a placeholder id (and fed the generated id): already reported, not compared.
      if (fields.some((f) => typeof item.refs[f] === 'string')) {
        skipIdCheck = true;
        continue;
      }
      const parts = fields.map((f) => keyPart(record[f]));
      if (fields.length === 1 && parts[0] === null) continue;
      const key = `${def.name}\u0000${fields.join(',')}\u0000${JSON.stringify(parts)}`;
      const first = seen.get(key);
      if (first === undefined) {
        seen.set(key, item);
        continue;
      }
      const what = fields.filter((f) => record[f] != null).map((f) => shown(item, f, record[f])).join(', ');
      const message = `uniqueness violation: '${def.name}' entity with ${what} already declared (as ${labelOf(first)})`;
      errors.entity(item, fields.length === 1 ? { [fields[0]!]: message } : { '@entity': [message] });
      skipIdCheck = true;
    }
    const idKey = `${def.name}\u0000id\u0000${record.id}`;
    const first = seen.get(idKey);
    if (first === undefined) seen.set(idKey, item);
    else if (!skipIdCheck) errors.entity(item, { id: `uniqueness violation: '${def.name}' entity with primary key set to '${record.id}' already declared (as ${labelOf(first)})` });
  }
}
