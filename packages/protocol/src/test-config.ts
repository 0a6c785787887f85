// Deterministic config generators for this package's tests: realistic Kong-shaped records for size and
// speed figures, and small random configs (odd fields, nulls, nesting) for property tests. Not exported.
import type { EntityName, EntityRecord } from '@tollgate/schema';
import { ENTITY_ORDER } from './hash.ts';
import type { Entities } from './messages.ts';

export type Rand = () => number;

/** mulberry32: a seeded PRNG, so a failing property test reproduces from its seed. */
export function rng(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const int = (rand: Rand, n: number): number => Math.floor(rand() * n);
export const pick = <T>(rand: Rand, items: readonly T[]): T => items[int(rand, items.length)]!;

export function uuid(rand: Rand): string {
  const hex = (n: number): string => Array.from({ length: n }, () => int(rand, 16).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(rand, ['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`;
}

const T0 = 1_700_000_000;

export function service(rand: Rand, i: number): EntityRecord {
  return {
    id: uuid(rand), created_at: T0 + i, updated_at: T0 + i, name: `service-${i}`, tags: ['team-a', `svc-${i % 50}`],
    protocol: 'http', host: `backend-${i}.internal.example.com`, port: 8080, path: `/api/v${1 + (i % 3)}`, retries: 5,
    connect_timeout: 60000, write_timeout: 60000, read_timeout: 60000, enabled: true,
    client_certificate: null, tls_verify: null, tls_verify_depth: null, ca_certificates: null,
  };
}

export function route(rand: Rand, i: number, serviceId: string): EntityRecord {
  return {
    id: uuid(rand), created_at: T0 + i, updated_at: T0 + i, name: `route-${i}`, tags: null,
    protocols: ['http', 'https'], methods: ['GET', 'POST'], hosts: [`api-${i % 100}.example.com`], paths: [`/orders/${i}`],
    headers: null, snis: null, sources: null, destinations: null, https_redirect_status_code: 426, regex_priority: 0,
    strip_path: true, path_handling: 'v0', preserve_host: false, request_buffering: true, response_buffering: true,
    service: { id: serviceId },
  };
}

export function consumer(rand: Rand, i: number): EntityRecord {
  return { id: uuid(rand), created_at: T0 + i, updated_at: T0 + i, username: `user-${i}`, custom_id: `cust-${i}`, tags: ['tier-gold'] };
}

/** A Kong-shaped config: `services` services, `routes` routes spread over them, `consumers` consumers. */
export function makeConfig(counts: { services: number; routes: number; consumers: number }, seed = 1): Entities {
  const rand = rng(seed);
  const services = Array.from({ length: counts.services }, (_, i) => service(rand, i));
  const routes = Array.from({ length: counts.routes }, (_, i) => route(rand, i, services[i % services.length]!.id));
  const consumers = Array.from({ length: counts.consumers }, (_, i) => consumer(rand, i));
  return { services, routes, consumers };
}

function randomValue(rand: Rand, depth: number): unknown {
  switch (int(rand, depth > 2 ? 5 : 7)) {
    case 0: return null;
    case 1: return int(rand, 2) === 0;
    case 2: return int(rand, 1000) - 500 + (int(rand, 4) === 0 ? 0.5 : 0);
    case 3: return pick(rand, ['', 'a', 'ä', '"q"', 'x,y', 'line\nbreak', '{}']);
    case 4: return `s${int(rand, 100)}`;
    case 5: return Array.from({ length: int(rand, 4) }, () => randomValue(rand, depth + 1));
    default: return randomRecordBody(rand, depth + 1);
  }
}

function randomRecordBody(rand: Rand, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const n = int(rand, 5);
  for (let i = 0; i < n; i++) out[pick(rand, ['a', 'b', 'c', 'name', 'config', 'zz', 'A'])] = randomValue(rand, depth);
  return out;
}

export function randomRecord(rand: Rand, id: string = uuid(rand)): EntityRecord {
  return { ...randomRecordBody(rand, 0), id, created_at: T0 + int(rand, 1000) };
}

/** A small random config over a random subset of entity types (some present but empty). */
export function randomConfig(rand: Rand): Entities {
  const out: Entities = {};
  for (const name of ENTITY_ORDER) {
    if (int(rand, 3) === 0) continue;
    out[name] = Array.from({ length: int(rand, 6) }, () => randomRecord(rand));
  }
  return out;
}

/** A random edit of `base`: some records changed, dropped or added, some types added or emptied. */
export function mutateConfig(rand: Rand, base: Entities): Entities {
  const out: Entities = { ...base };
  for (const name of ENTITY_ORDER) {
    if (int(rand, 2) === 0) continue; // leave this type (and its array) untouched
    const records: EntityRecord[] = [];
    for (const r of base[name] ?? []) {
      const roll = int(rand, 4);
      if (roll === 0) continue;
      records.push(roll === 1 ? { ...randomRecord(rand, r.id), created_at: r.created_at } : r);
    }
    for (let k = int(rand, 3); k > 0; k--) records.splice(int(rand, records.length + 1), 0, randomRecord(rand));
    out[name as EntityName] = records;
  }
  return out;
}

/** The same value with object keys in a shuffled order, recursively. */
export function shuffleKeys<T>(rand: Rand, value: T): T {
  if (Array.isArray(value)) return value.map((v) => shuffleKeys(rand, v)) as T;
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = int(rand, i + 1);
    [entries[i], entries[j]] = [entries[j]!, entries[i]!];
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, shuffleKeys(rand, v)])) as T;
}

/** The same config with records in a shuffled order within each type. */
export function shuffleRecords(rand: Rand, entities: Entities): Entities {
  const out: Entities = {};
  for (const [name, records] of Object.entries(entities) as Array<[EntityName, EntityRecord[]]>) {
    const copy = [...records];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = int(rand, i + 1);
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    out[name] = copy;
  }
  return out;
}

/** Freezes a value and everything in it, so a test fails if code under test mutates its input. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
