// Deterministic ids for declarative entities written without one, computed the way Kong does
// (kong/db/schema/others/declarative_config.lua `generate_ids`), so ids match Kong's and decK's
// and reloading the same file gives the same ids.
import type { EntityDefinition, EntityName } from '../entity.ts';
import { ENTITY_NAMES } from '../entity.ts';
import { isPlainObject } from '../prepare.ts';
import { uuidV5 } from '../uuid.ts';
import type { FlatItem } from './flatten.ts';

/** Kong's namespace for declarative ids; each entity type gets its own sub-namespace inside it. */
export const KONG_DECLARATIVE_NAMESPACE = 'fd02801f-0957-4a15-a55a-c8d9606f30b5';

/** Kong keys cache keys by workspace; a declarative file without workspaces uses the wildcard. */
const NO_WORKSPACE = '*';

const NAMESPACES: ReadonlyMap<EntityName, string> = new Map(ENTITY_NAMES.map((name) => [name, uuidV5(name, KONG_DECLARATIVE_NAMESPACE)]));

/**
 * The UUIDv5 Kong gives an entity of type `entity` whose id name part is `key`.
 * @example declarativeId('services', 'example-service') // '7a267194-6123-5ee0-a1c9-4c1559eb0d95'
 */
export function declarativeId(entity: EntityName, key: string): string {
  return uuidV5(key, NAMESPACES.get(entity)!);
}

function isRequired(def: EntityDefinition, field: string): boolean {
  if (def.foreignKeys[field]?.required === true) return true;
  return (def.schema.required ?? []).includes(field);
}

function scalar(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/**
 * Kong's cache-key name: `entity:*:field1:field2...`. A reference is used as written (a name stays a
 * name); one left out is the parent's id when nested, else empty. Undefined when a required part is missing.
 */
function cacheKeyName(item: FlatItem, fields: readonly string[]): string | undefined {
  const parts = [item.def.name, NO_WORKSPACE];
  for (const field of fields) {
    const value = item.input[field];
    if (field === item.parentField && item.parent !== undefined) parts.push(item.parent.id);
    else if (scalar(value) !== undefined) parts.push(scalar(value)!);
    // Kong skips `{id: ...}` references here, so two of them could collide; we use their value.
    else if (isPlainObject(value) && scalar(Object.values(value)[0]) !== undefined) parts.push(scalar(Object.values(value)[0])!);
    else if (value == null && !isRequired(item.def, field)) parts.push('');
    else return undefined;
  }
  return parts.join(':');
}

/**
 * The name part hashed into an item's id: Kong's cache key, else its endpoint key, else another unique
 * field, else (where Kong would pick a random id) its position under its parent, which is stable across loads.
 */
export function idName(item: FlatItem): string {
  const { def, input } = item;
  if (def.cacheKey !== undefined) {
    const key = cacheKeyName(item, def.cacheKey);
    if (key !== undefined) return key;
  }
  if (def.endpointKey !== undefined && scalar(input[def.endpointKey]) !== undefined) return scalar(input[def.endpointKey])!;
  for (const unique of def.uniques) {
    if (typeof unique === 'string' && scalar(input[unique]) !== undefined) return `@${unique}:${scalar(input[unique])!}`;
  }
  const owner = item.parent === undefined ? '' : `${item.parent.def.name}:${item.parent.id}/`;
  return `@position:${owner}${item.listKey}/${item.index}`;
}

/**
 * Gives every item its id: the one written in the file, else a deterministic UUIDv5 (also written to its input). Parents come before
 * their children in `items`, so a child's cache key can use its parent's id.
 */
export function assignIds(items: readonly FlatItem[]): void {
  for (const item of items) {
    const given = item.input['id'];
    if (given !== undefined && given !== null) item.id = String(given);
    else {
      item.id = declarativeId(item.def.name, idName(item));
      if (item.wellFormed) item.input['id'] = item.id;
    }
  }
}
