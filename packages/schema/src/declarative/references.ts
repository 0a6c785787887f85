// Resolves foreign keys inside a declarative file: a nested child points at its parent, and a top-level
// entity names its parent by id or endpoint key (`service: my-svc`, `consumer: alice`) or as `{id}`/`{name}`.
// References never leave the file.
import type { EntityName } from '../entity.ts';
import { isPlainObject } from '../prepare.ts';
import { nameOf } from './describe.ts';
import type { DeclarativeErrors } from './errors.ts';
import type { FlatItem } from './flatten.ts';

/** Stands in for an unresolved reference so the rest of the entity can still be validated. */
const UNRESOLVED_ID = '00000000-0000-0000-0000-000000000000';

/** Items of each entity type by id and by endpoint key (the first one wins; duplicates are reported later). */
export class ReferenceIndex {
  readonly #byId = new Map<string, FlatItem>();
  readonly #byKey = new Map<string, FlatItem>();
  readonly #items: readonly FlatItem[];

  constructor(items: readonly FlatItem[]) {
    this.#items = items.filter((i) => i.wellFormed);
    for (const item of this.#items) {
      const idKey = `${item.def.name}\u0000${item.id}`;
      if (!this.#byId.has(idKey)) this.#byId.set(idKey, item);
      const endpointKey = item.def.endpointKey;
      const value = endpointKey === undefined ? undefined : item.input[endpointKey];
      const key = `${item.def.name}\u0000${String(value)}`;
      if (typeof value === 'string' && !this.#byKey.has(key)) this.#byKey.set(key, item);
    }
  }

  byId(entity: EntityName, id: string): FlatItem | undefined {
    return this.#byId.get(`${entity}\u0000${id}`);
  }

  /** Kong's lookup for a string reference: the endpoint key first, then the id. */
  byKeyOrId(entity: EntityName, value: string): FlatItem | undefined {
    return this.#byKey.get(`${entity}\u0000${value}`) ?? this.byId(entity, value);
  }

  /** `{name: 'x'}`-style references: the first item of that type whose field has that value. */
  byField(entity: EntityName, field: string, value: unknown): FlatItem | undefined {
    if (field === 'id') return typeof value === 'string' ? this.byId(entity, value) : undefined;
    return this.#items.find((i) => i.def.name === entity && i.input[field] === value);
  }
}

function describe(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Does a nested child's own (redundant) reference name the parent it is nested under? */
function pointsAt(value: unknown, parent: FlatItem, index: ReferenceIndex): boolean {
  if (typeof value === 'string') return index.byKeyOrId(parent.def.name, value) === parent || value === parent.id;
  if (isPlainObject(value)) return Object.entries(value).every(([field, v]) => (field === 'id' ? v === parent.id : parent.input[field] === v));
  return false;
}

function lookup(entity: EntityName, value: unknown, index: ReferenceIndex): FlatItem | undefined {
  if (typeof value === 'string') return index.byKeyOrId(entity, value);
  if (!isPlainObject(value)) return undefined;
  if (typeof value['id'] === 'string') return index.byId(entity, value['id']);
  const entries = Object.entries(value);
  return entries.length === 1 ? index.byField(entity, entries[0]![0], entries[0]![1]) : undefined;
}

/**
 * Rewrites every foreign key of every item to `{id}`, recording what it points at in `item.refs`.
 * Reports conflicting parent references of nested children and references that match nothing in the file.
 */
export function resolveReferences(items: readonly FlatItem[], index: ReferenceIndex, errors: DeclarativeErrors): void {
  for (const item of items) {
    if (!item.wellFormed) continue;
    for (const [field, fk] of Object.entries(item.def.foreignKeys)) {
      const value = item.input[field];
      if (field === item.parentField && item.parent !== undefined) {
        const parent = item.parent;
        if (value != null && !pointsAt(value, parent, index)) {
          errors.entity(item, { [field]: `conflicting reference '${field}: ${describe(value)}': this entry is nested under ${nameOf(parent)}` });
        }
        item.input[field] = { id: parent.id };
        item.refs[field] = parent;
        continue;
      }
      if (value === undefined || value === null) continue;
      const target = lookup(fk.entity, value, index);
      if (target !== undefined) {
        item.input[field] = { id: target.id };
        item.refs[field] = target;
        continue;
      }
      errors.entity(item, { [field]: `invalid reference '${field}: ${describe(value)}' (no such entry in '${fk.entity}')` });
      item.input[field] = { id: UNRESOLVED_ID };
      item.refs[field] = describe(value);
    }
  }
}
