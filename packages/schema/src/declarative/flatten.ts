// Walks a declarative document into one flat list of entity items, parents before their children,
// following each EntityDefinition's `nested` map (services[].routes[].plugins[], consumers[].acls[], ...).
import type { EntityDefinition, EntityName } from '../entity.ts';
import { isPlainObject } from '../prepare.ts';
import { ENTITIES, entityByName } from '../registry.ts';
import type { DeclarativeErrors } from './errors.ts';

/** One entity as written in the file, on its way to becoming a record. */
export interface FlatItem {
  readonly def: EntityDefinition;
  /** Where it sits in the file, e.g. `['services', 0, 'routes', 2]`; error trees mirror it. */
  readonly path: ReadonlyArray<string | number>;
  /** The list it came from (`routes`, `keyauth_credentials`, ...) and its index there. */
  readonly listKey: string;
  readonly index: number;
  /** The entity it is nested under, and the foreign key field of this item that points at it. */
  readonly parent: FlatItem | undefined;
  readonly parentField: string | undefined;
  /** A private copy of the fields, without nested children, `_comment` or `_ignore`. */
  readonly input: Record<string, unknown>;
  /** Set by `assignIds`: the id from the file, or a deterministic one. */
  id: string;
  /** Set by `resolveReferences`: what each foreign key points at (an item), or the unresolved text. */
  readonly refs: Record<string, FlatItem | string>;
  /** False when the entry is not a record at all; such items are only reported. */
  readonly wellFormed: boolean;
  /** Position in the walk (file order, parents first); errors are listed in this order. */
  readonly order: number;
}

/** Per-entity attributes that carry no data (`kong/db/schema/others/declarative_config.lua`). */
const ENTITY_META = ['_comment', '_ignore'] as const;

/** The field of `child` that references `parent` (e.g. `service` for routes under services). */
export function foreignKeyTo(child: EntityDefinition, parent: EntityName): string | undefined {
  for (const [field, fk] of Object.entries(child.foreignKeys)) if (fk.entity === parent) return field;
  return undefined;
}

/**
 * Flattens every entity list of the document (top-level keys in ENTITIES order, each list depth-first).
 * Structural problems (a list that is not an array, an entry that is not a record) are reported to `errors`.
 * @example flattenDocument({ services: [{ name: 's', url: 'http://x', routes: [{ paths: ['/'] }] }] }, errors).map((i) => i.def.name) // ['services', 'routes']
 */
export function flattenDocument(doc: Readonly<Record<string, unknown>>, errors: DeclarativeErrors): FlatItem[] {
  const out: FlatItem[] = [];
  for (const def of ENTITIES) {
    const list = doc[def.name];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) errors.top(def.name, 'expected an array');
    else walkList(def, list, [def.name], undefined, out, errors);
  }
  return out;
}

function walkList(def: EntityDefinition, list: readonly unknown[], path: ReadonlyArray<string | number>, parent: FlatItem | undefined, out: FlatItem[], errors: DeclarativeErrors): void {
  const listKey = String(path[path.length - 1]);
  const parentField = parent === undefined ? undefined : foreignKeyTo(def, parent.def.name);
  list.forEach((raw, index) => {
    // Certificates may list their SNIs as bare names.
    const value = def.name === 'snis' && parent !== undefined && typeof raw === 'string' ? { name: raw } : raw;
    const base = { def, path: [...path, index], listKey, index, parent, parentField, id: '', refs: {}, order: out.length };
    if (!isPlainObject(value)) {
      const item: FlatItem = { ...base, input: {}, wellFormed: false };
      errors.entity(item, { '@entity': ['expected a record'] });
      out.push(item);
      return;
    }
    const input = structuredClone(value);
    for (const key of ENTITY_META) delete input[key];
    const children: Array<[string, EntityDefinition, unknown]> = [];
    for (const [key, childName] of Object.entries(def.nested ?? {})) {
      if (!(key in input)) continue;
      children.push([key, entityByName(childName), input[key]]);
      delete input[key];
    }
    const item: FlatItem = { ...base, input, wellFormed: true };
    out.push(item);
    for (const [key, childDef, childList] of children) {
      if (childList === null) continue;
      if (!Array.isArray(childList)) errors.entity(item, { [key]: 'expected an array' });
      else walkList(childDef, childList, [...item.path, key], item, out, errors);
    }
  });
}
