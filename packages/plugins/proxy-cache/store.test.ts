// The memory store on its own: the byte bound, LRU order, storage TTL and entries too large to keep.
import { describe, expect, it } from 'vitest';
import { MemoryStore, type CachedResponse } from './store.ts';

const entry = (bodyBytes: number, storedAt = 0, expiresAt = Infinity): CachedResponse => ({
  status: 200,
  headers: { 'content-type': 'text/plain' },
  body: Buffer.alloc(bodyBytes, 'x'),
  storedAt,
  ttl: 60,
  expiresAt,
});

describe('MemoryStore', () => {
  it('evicts least recently used entries to stay within its bound', () => {
    const store = new MemoryStore(4 * 1400);
    for (const k of ['a', 'b', 'c', 'd']) expect(store.set(k, entry(1000), 0)).toBe(true);
    expect(store.size).toBe(4);
    store.get('a', 0); // a is now the most recently used; b the least
    store.set('e', entry(1000), 0);
    expect(store.get('b', 0)).toBeUndefined();
    expect(store.get('a', 0)).toBeDefined();
    expect(store.get('e', 0)).toBeDefined();
    expect(store.bytes).toBeLessThanOrEqual(store.maxBytes);
  });

  it('drops entries past their storage TTL, on lookup and when space is needed', () => {
    const store = new MemoryStore(3 * 1400);
    store.set('old', entry(1000, 0, 5_000), 0);
    store.set('keep', entry(1000, 0), 0);
    expect(store.get('old', 4_999)).toBeDefined();
    expect(store.get('old', 5_000)).toBeUndefined();
    store.set('old2', entry(1000, 0, 5_000), 0);
    store.set('fresh', entry(1000, 0), 0);
    // The expired entry goes first, though 'keep' was used less recently.
    store.set('more', entry(1000, 10_000), 10_000);
    expect(store.get('keep', 10_000)).toBeDefined();
    expect(store.get('old2', 0)).toBeUndefined();
  });

  it('replaces an entry under the same key without counting it twice', () => {
    const store = new MemoryStore(10_000);
    store.set('a', entry(1000), 0);
    const once = store.bytes;
    store.set('a', entry(1000), 0);
    expect(store.bytes).toBe(once);
    expect(store.size).toBe(1);
  });

  it('refuses an entry larger than the whole bound, keeping the others', () => {
    const store = new MemoryStore(2000);
    store.set('a', entry(500), 0);
    expect(store.set('huge', entry(5000), 0)).toBe(false);
    expect(store.get('a', 0)).toBeDefined();
  });

  it('refuses a bound that is not a positive number, saying what it needs', () => {
    expect(() => new MemoryStore(0)).toThrow(/positive number of bytes/);
  });
});
