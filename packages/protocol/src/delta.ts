// Config deltas: applying a change list to a config, and computing the change list between two configs.
// Both are pure and copy-on-write, so a data plane can build the next config while the current one keeps
// serving, and unchanged entity types (and records) stay shared between the two.
import type { EntityName, EntityRecord } from '@tollgate/schema';
import { ENTITY_ORDER, canonicalize } from './hash.ts';
import type { Entities, EntityChange } from './messages.ts';

/**
 * Returns a new config with `changes` applied in order: an upsert replaces the record with its id (keeping
 * its position) or appends it; a delete removes it, and deleting an absent id is a no-op. The input is
 * not modified; entity types without changes are the same arrays as in the input. A type left with no
 * records is dropped, so absent and empty stay interchangeable (as in configHash).
 *
 * @example
 *   const next = applyDelta(current, delta.changes);
 *   if (configHash(next) !== delta.hash) send({ type: 'resync', reason: 'hash mismatch after delta' });
 */
export function applyDelta(entities: Entities, changes: readonly EntityChange[]): Entities {
  if (changes.length === 0) return entities;
  const byType = new Map<EntityName, EntityChange[]>();
  for (const change of changes) {
    const list = byType.get(change.entity);
    if (list === undefined) byType.set(change.entity, [change]);
    else list.push(change);
  }
  const next: Entities = { ...entities };
  for (const [name, typeChanges] of byType) {
    // A Map keeps insertion order, and set() on an existing key keeps its place: replace-in-place and
    // append fall out of it, and n deletes cost O(n) rather than O(n²) splices.
    const records = new Map<string, EntityRecord>();
    for (const record of entities[name] ?? []) records.set(record.id, record);
    for (const change of typeChanges) {
      if (change.op === 'upsert') records.set(change.id, change.record);
      else records.delete(change.id);
    }
    if (records.size === 0) delete next[name];
    else next[name] = [...records.values()];
  }
  return next;
}

function index(records: readonly EntityRecord[] | undefined): Map<string, EntityRecord> {
  const map = new Map<string, EntityRecord>();
  for (const record of records ?? []) map.set(record.id, record);
  return map;
}

/**
 * The changes that turn `before` into `after` (records compared by canonical form, so null-vs-absent and
 * key order are not changes). Deletes come first, children before parents (reverse ENTITY_ORDER), then
 * upserts, parents before children (ENTITY_ORDER): a receiver that checks references as it applies each
 * change never sees a dangling one. Within a type, ids are in `after`'s (for upserts) or `before`'s order.
 *
 * @example
 *   const changes = diffEntities(previous, current);
 *   const delta = { type: 'delta', from: 41, version: 42, hash: configHash(current), changes };
 */
export function diffEntities(before: Entities, after: Entities): EntityChange[] {
  const deletes: EntityChange[] = [];
  const upserts: EntityChange[] = [];
  for (let t = ENTITY_ORDER.length - 1; t >= 0; t--) {
    const entity = ENTITY_ORDER[t]!;
    if (before[entity] === after[entity]) continue; // shared by copy-on-write: nothing changed
    const kept = index(after[entity]);
    for (const record of before[entity] ?? []) {
      if (!kept.has(record.id)) deletes.push({ entity, id: record.id, op: 'delete' });
    }
  }
  for (const entity of ENTITY_ORDER) {
    if (before[entity] === after[entity]) continue;
    const old = index(before[entity]);
    for (const record of after[entity] ?? []) {
      const prev = old.get(record.id);
      if (prev === record) continue;
      if (prev === undefined || canonicalize(prev) !== canonicalize(record)) {
        upserts.push({ entity, id: record.id, op: 'upsert', record });
      }
    }
  }
  return deletes.concat(upserts);
}
