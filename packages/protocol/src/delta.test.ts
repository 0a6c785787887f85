// applyDelta and diffEntities: diff(a, b) applied to a gives b (as the hash sees it) on random configs,
// inputs are never mutated, and untouched entity types stay shared.
import { describe, expect, it } from 'vitest';
import type { EntityRecord } from '@tollgate/schema';
import { decode, encode } from './codec.ts';
import { applyDelta, diffEntities } from './delta.ts';
import { ENTITY_ORDER, canonicalize, configHash } from './hash.ts';
import type { Entities, EntityChange } from './messages.ts';
import { deepFreeze, makeConfig, mutateConfig, randomConfig, randomRecord, rng } from './test-config.ts';

/** What "equal configs" means: same types with records, same ids, same canonical records. */
function normalize(entities: Entities): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const name of ENTITY_ORDER) {
    const records = entities[name] ?? [];
    if (records.length > 0) out[name] = records.map((r) => canonicalize(r)).sort();
  }
  return out;
}

const rec = (id: string, extra: Record<string, unknown> = {}): EntityRecord => ({ id, created_at: 1, ...extra });

describe('diffEntities + applyDelta (randomized)', () => {
  it('apply(a, diff(a, b)) equals b, for edits of a and for unrelated configs', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rand = rng(seed);
      const a = deepFreeze(randomConfig(rand));
      const before = configHash(a);
      for (const b of [mutateConfig(rand, a), randomConfig(rand)]) {
        const next = applyDelta(a, diffEntities(a, b));
        expect(normalize(next), `seed ${seed}`).toEqual(normalize(b));
        expect(configHash(next), `seed ${seed}`).toBe(configHash(b));
        expect(diffEntities(next, b), `seed ${seed}`).toEqual([]);
      }
      expect(configHash(a)).toBe(before); // frozen, and unchanged
    }
  });

  it('survives the wire: a decoded delta applies to the same result', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const rand = rng(seed);
      const a = randomConfig(rand);
      const b = mutateConfig(rand, a);
      const changes = diffEntities(a, b);
      if (changes.length === 0) continue;
      const msg = decode(encode({ type: 'delta', from: 1, version: 2, hash: configHash(b), changes }));
      expect(msg.type === 'delta' && configHash(applyDelta(a, msg.changes))).toBe(configHash(b));
    }
  });

  it('emits deletes children-first, then upserts parents-first', () => {
    const rank = (c: EntityChange): number => ENTITY_ORDER.indexOf(c.entity);
    for (let seed = 1; seed <= 100; seed++) {
      const rand = rng(seed);
      const changes = diffEntities(randomConfig(rand), randomConfig(rand));
      const deletes = changes.filter((c) => c.op === 'delete');
      const upserts = changes.filter((c) => c.op === 'upsert');
      expect(changes).toEqual([...deletes, ...upserts]);
      expect(deletes.map(rank)).toEqual(deletes.map(rank).sort((x, y) => y - x));
      expect(upserts.map(rank)).toEqual(upserts.map(rank).sort((x, y) => x - y));
    }
  });
});

describe('applyDelta', () => {
  it('replaces in place, appends new ids, deletes, and keeps untouched types shared', () => {
    const before = deepFreeze<Entities>({ services: [rec('s1')], routes: [rec('r1'), rec('r2'), rec('r3')] });
    const next = applyDelta(before, [
      { entity: 'routes', id: 'r2', op: 'upsert', record: rec('r2', { name: 'two' }) },
      { entity: 'routes', id: 'r4', op: 'upsert', record: rec('r4') },
      { entity: 'routes', id: 'r1', op: 'delete' },
    ]);
    expect(next.routes!.map((r) => [r.id, r['name']])).toEqual([['r2', 'two'], ['r3', undefined], ['r4', undefined]]);
    expect(next.routes![1]).toBe(before.routes![2]); // unchanged records are shared, not copied
    expect(next.services).toBe(before.services);
    expect(next).not.toBe(before);
    expect(before.routes!.map((r) => r.id)).toEqual(['r1', 'r2', 'r3']);
  });

  it('treats deleting an absent entity (or from an absent type) as a no-op', () => {
    const before: Entities = { services: [rec('s1')] };
    const next = applyDelta(before, [{ entity: 'services', id: 'nope', op: 'delete' }, { entity: 'acls', id: 'x', op: 'delete' }]);
    expect(next).toEqual(before);
    expect('acls' in next).toBe(false);
  });

  it('applies changes to one id in order, and drops a type left empty', () => {
    const before: Entities = { consumers: [rec('c1')] };
    expect(applyDelta(before, [{ entity: 'consumers', id: 'c1', op: 'delete' }])).toEqual({});
    const again = applyDelta(before, [
      { entity: 'consumers', id: 'c2', op: 'upsert', record: rec('c2') },
      { entity: 'consumers', id: 'c2', op: 'delete' },
      { entity: 'consumers', id: 'c1', op: 'delete' },
      { entity: 'consumers', id: 'c1', op: 'upsert', record: rec('c1', { username: 'back' }) },
    ]);
    expect(again).toEqual({ consumers: [rec('c1', { username: 'back' })] });
  });

  it('returns the input itself for an empty change list', () => {
    const before: Entities = { services: [rec('s1')] };
    expect(applyDelta(before, [])).toBe(before);
  });
});

describe('diffEntities', () => {
  it('does not count key order or null-vs-absent as a change', () => {
    const a: Entities = { services: [{ id: 's', created_at: 1, host: 'h', path: null }] };
    const b: Entities = { services: [{ host: 'h', created_at: 1, id: 's' }] };
    expect(diffEntities(a, b)).toEqual([]);
  });

  it('is empty for the same config, and skips types shared by copy-on-write without looking', () => {
    const config = makeConfig({ services: 100, routes: 100, consumers: 100 });
    expect(diffEntities(config, config)).toEqual([]);
    const record = randomRecord(rng(1), config.routes![5]!.id);
    const next = applyDelta(config, [{ entity: 'routes', id: record.id, op: 'upsert', record }]);
    expect(diffEntities(config, next)).toEqual([{ entity: 'routes', id: record.id, op: 'upsert', record }]);
  });
});
