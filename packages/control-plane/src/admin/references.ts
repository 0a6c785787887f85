// Finding entities from path segments and body references: by UUID, or by the entity's endpoint
// key (`name`, `username`...), and turning `{"service":{"name":"x"}}` into `{"service":{"id":…}}`.
import { entityByName, isUuid, KongError, type EntityDefinition, type EntityRecord } from '@tollgate/schema';
import type { EntityStore } from '../store/index.ts';
import { isPlainObject } from '@tollgate/schema';

/** Looks up `segment` as an id, else by the endpoint key. Null when nothing matches. */
export async function findByIdOrKey(store: EntityStore, def: EntityDefinition, segment: string): Promise<EntityRecord | null> {
  if (isUuid(segment)) {
    const byId = await store.get(def, segment);
    if (byId !== null || def.endpointKey === undefined) return byId;
  }
  if (def.endpointKey === undefined) return null;
  return store.getBy(def, def.endpointKey, segment);
}

/**
 * Normalises every foreign key in `body` to `{id}`. A reference by another unique field is looked up;
 * one that matches nothing is Kong's code 13 "foreign keys unresolved".
 */
export async function resolveForeignKeys(store: EntityStore, def: EntityDefinition, body: Record<string, unknown>): Promise<void> {
  for (const [field, fk] of Object.entries(def.foreignKeys)) {
    const value = body[field];
    if (value === undefined || value === null) continue;
    if (typeof value === 'string') {
      body[field] = await resolveOne(store, fk.entity, field, isUuid(value) ? { id: value } : { [entityByName(fk.entity).endpointKey ?? 'id']: value });
    } else if (isPlainObject(value)) {
      body[field] = await resolveOne(store, fk.entity, field, value);
    }
  }
}

async function resolveOne(store: EntityStore, entity: EntityDefinition['name'], field: string, ref: Record<string, unknown>): Promise<unknown> {
  const keys = Object.keys(ref);
  if (keys.length === 1 && keys[0] === 'id') return ref;
  const parent = entityByName(entity);
  const uniqueFields = parent.uniques.filter((u): u is string => typeof u === 'string');
  const lookupField = keys.find((k) => k !== 'id' && uniqueFields.includes(k));
  if (keys.length !== 1 || lookupField === undefined) return ref; // let schema validation name the problem
  const value = ref[lookupField];
  const found = typeof value === 'string' ? await store.getBy(parent, lookupField, value) : null;
  if (found === null) {
    throw new KongError('FOREIGN_KEYS_UNRESOLVED', `foreign key unresolved: '${field}' references a '${entity}' entity with ${lookupField}='${String(value)}' that does not exist`, {
      [field]: `no '${entity}' entity with ${lookupField}='${String(value)}'`,
    });
  }
  return { id: found.id };
}
