// The canonical hash: identical configs hash the same however they are written down, and any real change
// (a field, a record, a type) changes it.
import { describe, expect, it } from 'vitest';
import { canonicalize, configHash } from './hash.ts';
import type { Entities } from './messages.ts';
import { int, makeConfig, randomConfig, rng, shuffleKeys, shuffleRecords } from './test-config.ts';

/** Adds `null` for some absent fields and removes some null fields: the same config to the hash. */
function flipNulls(seed: number, entities: Entities): Entities {
  const rand = rng(seed);
  const flip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(flip);
    if (typeof value !== 'object' || value === null) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (!(v === null && int(rand, 2) === 0)) out[k] = flip(v);
    if (int(rand, 2) === 0) out['never_set'] = null;
    return out;
  };
  return Object.fromEntries(Object.entries(entities).map(([name, records]) => [name, records.map(flip)])) as Entities;
}

describe('configHash', () => {
  it('is sha256 hex over the canonical form', () => {
    expect(configHash({})).toMatch(/^[0-9a-f]{64}$/);
    expect(configHash({})).toBe(configHash({ services: [], routes: [] }));
  });

  it('ignores key order, record order and null-vs-absent (randomized)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rand = rng(seed);
      const config = randomConfig(rand);
      const expected = configHash(config);
      expect(configHash(shuffleKeys(rand, config))).toBe(expected);
      expect(configHash(shuffleRecords(rand, config))).toBe(expected);
      expect(configHash(flipNulls(seed, config))).toBe(expected);
      expect(configHash(shuffleRecords(rand, shuffleKeys(rand, flipNulls(seed, config))))).toBe(expected);
    }
  });

  it('changes when any field of any record changes', () => {
    const base = makeConfig({ services: 5, routes: 5, consumers: 5 });
    const baseHash = configHash(base);
    const seen = new Set([baseHash]);
    let edits = 0;
    for (const [type, records] of Object.entries(base) as Array<[keyof Entities, Array<Record<string, unknown>>]>) {
      records.forEach((record, i) => {
        for (const field of Object.keys(record)) {
          const v = record[field];
          const changed = v === null ? 'now-set' : typeof v === 'number' ? v + 1 : typeof v === 'boolean' ? !v : typeof v === 'string' ? `${v}x` : Array.isArray(v) ? [...v, 'extra'] : { ...(v as object), extra: 1 };
          const edited = { ...base, [type]: records.map((r, j) => (j === i ? { ...r, [field]: changed } : r)) };
          const hash = configHash(edited as Entities);
          expect(hash, `${type}[${i}].${field}`).not.toBe(baseHash);
          seen.add(hash);
          edits++;
        }
      });
    }
    expect(edits).toBeGreaterThan(200);
    expect(seen.size).toBe(edits + 1); // every edit gave its own hash, not just "something else"
  });

  it('changes with array order, an added or removed record, and the entity type a record sits in', () => {
    const config = makeConfig({ services: 3, routes: 3, consumers: 0 });
    const h = configHash(config);
    const r0 = config.routes![0]!;
    expect(configHash({ ...config, routes: [{ ...r0, methods: ['POST', 'GET'] }, ...config.routes!.slice(1)] })).not.toBe(h);
    expect(configHash({ ...config, routes: config.routes!.slice(1) })).not.toBe(h);
    expect(configHash({ ...config, consumers: [{ id: 'c', created_at: 1 }] })).not.toBe(h);
    expect(configHash({ services: config.services!, consumers: config.routes! })).not.toBe(h);
    expect(configHash({ ...config, routes: [...config.routes!, { id: 'z', created_at: 0 }] })).not.toBe(h);
  });

  it('tells apart values whose naive string forms collide', () => {
    const one = (v: unknown): string => configHash({ services: [{ id: 'a', created_at: 0, v }] });
    const values: unknown[] = [1, '1', true, 'true', [1, 2], '1,2', ['1,2'], { a: 1 }, '{"a":1}', [], {}, '', 0, [null], ['a', 'b'], ['a,b']];
    expect(new Set(values.map(one)).size).toBe(values.length);
  });

  it('refuses unknown entity types rather than silently leaving them out', () => {
    expect(() => configHash({ widgets: [] } as unknown as Entities)).toThrow(/unknown entity type 'widgets'/);
  });

});

describe('canonicalize', () => {
  it('sorts keys recursively, drops nulls in objects, keeps array order and nulls in arrays', () => {
    expect(canonicalize({ b: 1, a: { d: null, c: [3, null, 1] }, e: undefined })).toBe('{"a":{"c":[3,null,1]},"b":1}');
  });
});
