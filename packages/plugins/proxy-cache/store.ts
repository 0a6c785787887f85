// The `memory` strategy: responses kept in this process's memory, bounded by their total size, the least
// recently used dropped first and entries past their storage TTL dropped as they are found. It is per
// worker process (Kong's shared dict is per node): each data-plane worker fills its own cache, and a
// worker restart empties it. Every `memory.dictionary_name` draws on one byte budget (CacheMemory), so
// configs naming many dictionaries cannot multiply the process's bound; the name keeps their entries apart.

/** Kong sizes `kong_db_cache` by `mem_cache_size`, 128 MiB by default; here it bounds each worker. */
export const DEFAULT_MAX_BYTES = 128 * 1024 * 1024;

/** Bookkeeping a stored entry costs beyond its key, headers and body (object, Map slot, strings). */
const ENTRY_OVERHEAD = 256;

/** Expired entries are swept this often on inserts, and at most once a second when space is short. */
const SWEEP_EVERY_MS = 60_000;
const SWEEP_WHEN_FULL_MS = 1_000;

export interface CachedResponse {
  readonly status: number;
  /** The response headers to replay, hop-by-hop and per-request gateway headers removed. */
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly body: Buffer;
  /** When it was stored, in ms since the epoch. */
  readonly storedAt: number;
  /** Freshness lifetime in seconds: `cache_ttl`, or the response's own with `cache_control`. */
  readonly ttl: number;
  /** When storage drops it, in ms since the epoch; Infinity keeps it until it is evicted. */
  readonly expiresAt: number;
}

interface Slot {
  readonly entry: CachedResponse;
  readonly size: number;
}

/**
 * An LRU of cached responses bounded by total bytes: the budget every dictionary of a proxy-cache
 * runtime shares. Its keys already carry the dictionary; plugins reach it through a MemoryStore.
 * @example
 *   const memory = new CacheMemory(64 * 1024 * 1024);
 *   const store = new MemoryStore(memory, 'kong_db_cache');
 */
export class CacheMemory {
  readonly maxBytes: number;
  /** Map order is the LRU order: the first key is the least recently used. */
  readonly #slots = new Map<string, Slot>();
  #bytes = 0;
  #lastSweep = 0;

  constructor(maxBytes: number = DEFAULT_MAX_BYTES) {
    if (!(maxBytes > 0)) throw new Error(`proxy-cache: the memory bound must be a positive number of bytes, got ${maxBytes}`);
    this.maxBytes = maxBytes;
  }

  /** Bytes the stored entries of every dictionary account for. */
  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#slots.size;
  }

  /** The entry for `key` unless it is missing or past its storage TTL; marks it most recently used. */
  get(key: string, now: number): CachedResponse | undefined {
    const slot = this.#slots.get(key);
    if (slot === undefined) return undefined;
    if (slot.entry.expiresAt <= now) {
      this.#remove(key, slot);
      return undefined;
    }
    this.#slots.delete(key);
    this.#slots.set(key, slot);
    return slot.entry;
  }

  /** Stores `entry`, evicting expired then least recently used entries; false when it alone exceeds the bound. */
  set(key: string, entry: CachedResponse, now: number): boolean {
    const old = this.#slots.get(key);
    if (old !== undefined) this.#remove(key, old);
    const size = sizeOf(key, entry);
    if (size > this.maxBytes) return false;
    const short = this.#bytes + size > this.maxBytes;
    if (now - this.#lastSweep > (short ? SWEEP_WHEN_FULL_MS : SWEEP_EVERY_MS)) this.#sweep(now);
    if (this.#bytes + size > this.maxBytes) {
      for (const [k, slot] of this.#slots) {
        this.#remove(k, slot);
        if (this.#bytes + size <= this.maxBytes) break;
      }
    }
    this.#slots.set(key, { entry, size });
    this.#bytes += size;
    return true;
  }

  /** True when there was an entry to delete. */
  delete(key: string): boolean {
    const slot = this.#slots.get(key);
    if (slot === undefined) return false;
    this.#remove(key, slot);
    return true;
  }

  /** Deletes every entry whose key starts with `prefix`; returns how many. */
  deletePrefixed(prefix: string): number {
    let n = 0;
    for (const [k, slot] of this.#slots) {
      if (!k.startsWith(prefix)) continue;
      this.#remove(k, slot);
      n++;
    }
    return n;
  }

  #sweep(now: number): void {
    this.#lastSweep = now;
    for (const [k, slot] of this.#slots) if (slot.entry.expiresAt <= now) this.#remove(k, slot);
  }

  #remove(key: string, slot: Slot): void {
    this.#slots.delete(key);
    this.#bytes -= slot.size;
  }
}

/**
 * The entries of one `memory.dictionary_name`, kept in a CacheMemory shared with the other dictionaries
 * (or, given a byte count, in a memory of its own).
 * @example
 *   const store = new MemoryStore(memory, 'kong_db_cache');
 *   store.set(key, { status: 200, headers, body, storedAt: now, ttl: 300, expiresAt: now + 300_000 }, now);
 *   store.get(key, Date.now()); // the entry, or undefined once expired or evicted
 */
export class MemoryStore {
  readonly memory: CacheMemory;
  readonly dictionary: string;
  /** Length-prefixed, so no dictionary name and key can spell another's. */
  readonly #prefix: string;

  constructor(memory: CacheMemory | number = DEFAULT_MAX_BYTES, dictionary = '') {
    this.memory = typeof memory === 'number' ? new CacheMemory(memory) : memory;
    this.dictionary = dictionary;
    this.#prefix = `${dictionary.length}:${dictionary}:`;
  }

  /** The bound of the memory this store shares. */
  get maxBytes(): number {
    return this.memory.maxBytes;
  }

  /** The entry for `key` unless it is missing or past its storage TTL; marks it most recently used. */
  get(key: string, now: number): CachedResponse | undefined {
    return this.memory.get(this.#prefix + key, now);
  }

  /** Stores `entry`, evicting expired then least recently used entries of any dictionary; false when it alone exceeds the bound. */
  set(key: string, entry: CachedResponse, now: number): boolean {
    return this.memory.set(this.#prefix + key, entry, now);
  }

  /** True when there was an entry to delete. */
  delete(key: string): boolean {
    return this.memory.delete(this.#prefix + key);
  }

  /** Empties this dictionary; returns how many entries it held. */
  clear(): number {
    return this.memory.deletePrefixed(this.#prefix);
  }
}

function sizeOf(key: string, entry: CachedResponse): number {
  let size = ENTRY_OVERHEAD + key.length + entry.body.length;
  for (const name in entry.headers) {
    const value = entry.headers[name]!;
    size += name.length;
    if (typeof value === 'string') size += value.length;
    else for (const v of value) size += v.length;
  }
  return size;
}
