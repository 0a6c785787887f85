// The canonical config hash both planes compute: the control plane stamps it on every snapshot and delta,
// the data plane recomputes it after applying and acks it, so "in sync" means byte-identical config.
// sha256 over a canonical JSON-like text, not Kong's md5 with its quirks (a trailing ';' only on arrays
// longer than 5, a rolling md5 past 1 MB): see the Kong reference notes, section 6, item 5.
import { createHash, type Hash } from 'node:crypto';
import { ENTITIES, type EntityName, type EntityRecord } from '@tollgate/schema';
import type { Entities } from './messages.ts';

/** Entity types in dependency order (parents first): the order of the hash, of snapshots and of deltas. */
export const ENTITY_ORDER: readonly EntityName[] = ENTITIES.map((def) => def.name);
const KNOWN: ReadonlySet<string> = new Set(ENTITY_ORDER);

/**
 * The canonical text of a value: object keys sorted (by UTF-16 code unit, locale-independent), object
 * fields that are null or undefined left out (the store, the Admin API and msgpack disagree on whether an
 * unset field is null or absent, and the hash must not), arrays kept in order (order is meaningful:
 * plugin lists, hashing fallbacks), strings JSON-quoted so no two values share a text.
 *
 * @example
 *   canonicalize({ b: 1, a: null, c: [2, 1] }) // '{"b":1,"c":[2,1]}'
 */
export function canonicalize(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      // String() is JSON's form for finite numbers (and -0 → "0"); NaN/Infinity stay distinct from null.
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return String(value);
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonicalize(value[i]);
        return out + ']';
      }
      return canonicalObject(value as Record<string, unknown>);
    default:
      // undefined (only reachable inside arrays, where it means the same as null), functions, symbols.
      return 'null';
  }
}

function canonicalObject(obj: Record<string, unknown>): string {
  const keys = Object.keys(obj).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const v = obj[key];
    if (v === null || v === undefined) continue;
    out += (first ? '' : ',') + JSON.stringify(key) + ':' + canonicalize(v);
    first = false;
  }
  return out + '}';
}

/**
 * Canonical text per record object. Configs are immutable once built, and a new version shares every
 * unchanged record with the previous one (applyDelta keeps them), so re-hashing after a one-entity
 * change canonicalizes one record, not forty thousand.
 */
const canonicalText = new WeakMap<object, string>();

function canonicalRecord(record: EntityRecord): string {
  let text = canonicalText.get(record);
  if (text === undefined) {
    text = canonicalObject(record);
    canonicalText.set(record, text);
  }
  return text;
}

function byId(a: EntityRecord, b: EntityRecord): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Records in id order; the input array itself when it already is (the store lists by id), else a sorted copy. */
export function sortedById(records: readonly EntityRecord[]): readonly EntityRecord[] {
  for (let i = 1; i < records.length; i++) {
    if (byId(records[i - 1]!, records[i]!) > 0) return [...records].sort(byId);
  }
  return records;
}

/** Per records array: its type's sub-hash. Arrays are shared between versions when their type is unchanged. */
const typeHashes = new WeakMap<readonly EntityRecord[], { name: EntityName; digest: string }>();

function typeHash(name: EntityName, records: readonly EntityRecord[]): string {
  const cached = typeHashes.get(records);
  let digest = cached !== undefined && cached.name === name ? cached.digest : undefined;
  if (digest === undefined) {
    // One update() per record: measured faster than concatenating into larger chunks, whose string
    // flattening costs more than the extra native calls.
    const hash: Hash = createHash('sha256');
    hash.update(JSON.stringify(name) + ':[');
    const sorted = sortedById(records);
    for (let i = 0; i < sorted.length; i++) hash.update((i === 0 ? '' : ',') + canonicalRecord(sorted[i]!));
    hash.update(']');
    digest = hash.digest('hex');
    typeHashes.set(records, { name, digest });
  }
  return digest;
}

/**
 * sha256 (hex) of a whole config in canonical form: for each entity type in ENTITY_ORDER that has
 * records (so absent and empty are the same), the sha256 of its records sorted by id and each
 * canonicalized; the config hash is the sha256 of those per-type hashes in order. Identical configs
 * hash identically whatever their key order, record order or null-vs-absent fields. After a delta only
 * the changed types are re-hashed (their arrays are new; the others are shared with the previous
 * version), so records and arrays must not be mutated after they have been hashed.
 *
 * @example
 *   const hash = configHash({ services: [svc], routes: [route] });
 */
export function configHash(entities: Entities): string {
  for (const name of Object.keys(entities)) {
    if (!KNOWN.has(name)) throw new TypeError(`configHash: unknown entity type '${name}'`);
  }
  const hash: Hash = createHash('sha256');
  for (const name of ENTITY_ORDER) {
    const records = entities[name];
    if (records === undefined || records.length === 0) continue;
    hash.update(typeHash(name, records));
  }
  return hash.digest('hex');
}
