// The memory store on its own: the byte bound, LRU order, storage TTL and entries too large to keep,
// and one bound shared by every dictionary name.
import { describe, expect, it } from 'vitest';
import { CacheMemory, MemoryStore, type CachedResponse } from './store.ts';

const entry = (bodyBytes: number, storedAt = 0, expiresAt = Infinity, status = 200): CachedResponse => ({
  status,
  headers: { 'content-type': 'text/plain' },
  body: Buffer.alloc(bodyBytes, 'x'),
  storedAt,
  ttl: 60,
  expiresAt,
});

describe('CacheMemory', () => {
  it('evicts least recently used entries to stay within its bound', () => {
    const store = new CacheMemory(4 * 1400);
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
    const store = new CacheMemory(3 * 1400);
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
    const store = new CacheMemory(10_000);
    store.set('a', entry(1000), 0);
    const once = store.bytes;
    store.set('a', entry(1000), 0);
    expect(store.bytes).toBe(once);
    expect(store.size).toBe(1);
  });

  it('refuses an entry larger than the whole bound, keeping the others', () => {
    const store = new CacheMemory(2000);
    store.set('a', entry(500), 0);
    expect(store.set('huge', entry(5000), 0)).toBe(false);
    expect(store.get('a', 0)).toBeDefined();
  });

  it('refuses a bound that is not a positive number, saying what it needs', () => {
    expect(() => new CacheMemory(0)).toThrow(/positive number of bytes/);
    expect(() => new MemoryStore(-1)).toThrow(/positive number of bytes/);
  });
});

describe('MemoryStore (one dictionary)', () => {
  it('keeps the entries of each dictionary name apart', () => {
    const memory = new CacheMemory(10_000);
    const one = new MemoryStore(memory, 'one');
    const two = new MemoryStore(memory, 'two');
    one.set('k', entry(100, 0, Infinity, 200), 0);
    two.set('k', entry(100, 0, Infinity, 404), 0);
    expect(one.get('k', 0)?.status).toBe(200);
    expect(two.get('k', 0)?.status).toBe(404);
    // Names that run into their keys cannot spell each other's entries.
    new MemoryStore(memory, 'a:').set('b', entry(10, 0, Infinity, 201), 0);
    expect(new MemoryStore(memory, 'a').get(':b', 0)).toBeUndefined();
    two.delete('k');
    expect(two.get('k', 0)).toBeUndefined();
    expect(one.get('k', 0)).toBeDefined();
    // A store made later for the same name sees what an earlier one stored.
    expect(new MemoryStore(memory, 'one').get('k', 0)?.status).toBe(200);
  });

  it('shares one byte bound between dictionary names, evicting the least recently used of any', () => {
    const memory = new CacheMemory(4 * 1400);
    const one = new MemoryStore(memory, 'one');
    const two = new MemoryStore(memory, 'two');
    expect(one.maxBytes).toBe(memory.maxBytes);
    one.set('a', entry(1000), 0);
    two.set('a', entry(1000), 0);
    one.set('b', entry(1000), 0);
    two.set('b', entry(1000), 0);
    expect(memory.size).toBe(4);
    one.get('a', 0); // 'two' a is now the least recently used
    // A fifth entry, in a third dictionary, makes room by dropping that one, not by growing the bound.
    new MemoryStore(memory, 'three').set('a', entry(1000), 0);
    expect(memory.size).toBe(4);
    expect(memory.bytes).toBeLessThanOrEqual(memory.maxBytes);
    expect(two.get('a', 0)).toBeUndefined();
    expect([one.get('a', 0), one.get('b', 0), two.get('b', 0)].every((e) => e !== undefined)).toBe(true);
    // However many names are used, what they hold together stays within the one bound.
    for (let i = 0; i < 50; i++) new MemoryStore(memory, `dict-${i}`).set('k', entry(1000), 0);
    expect(memory.size).toBe(4);
    expect(memory.bytes).toBeLessThanOrEqual(memory.maxBytes);
  });

  it('gets a memory of its own from a byte count', () => {
    const store = new MemoryStore(2000);
    store.set('a', entry(500), 0);
    expect(store.get('a', 0)).toBeDefined();
    expect(store.set('huge', entry(5000), 0)).toBe(false);
    expect(store.memory.maxBytes).toBe(2000);
  });
});
