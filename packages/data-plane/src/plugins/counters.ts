// The node-wide counters plugins see as `ctx.counters` (rate limits). One process: a Map in memory,
// answered synchronously. Several workers (node:cluster): the Map lives in the primary and each
// worker asks it over IPC, so every worker of the node counts against the same numbers, the way
// Kong's workers share one `lua_shared_dict`.
import type { CounterStore } from '@tollgate/plugin-sdk';

export type { CounterStore } from '@tollgate/plugin-sdk';

interface Counter {
  count: number;
  expiresAt: number;
}

/** Above this many counters the oldest are dropped, so a flood of identifiers cannot exhaust memory. */
const MAX_ENTRIES = 200_000;
/** Expired counters are swept at most this often, whether or not the store is full. */
const SWEEP_EVERY_MS = 1000;

/**
 * Counters in this process's memory. Expired entries are swept at most once a second; at
 * `maxEntries` each new key drops the oldest inserted one (a dropped counter restarts at 0:
 * over-admitting a little beats running out of memory). The store bounds the number of keys, not
 * their length: callers keep keys short (rate-limiting hashes long identifiers).
 * @example
 *   const store = new MemoryCounterStore();
 *   store.increment(['k'], [Date.now() + 1000]);
 *   store.get(['k']); // [1]
 */
export class MemoryCounterStore implements CounterStore {
  readonly #entries = new Map<string, Counter>();
  readonly #maxEntries: number;
  /**
   * Where eviction resumes: a Map iterator stays valid as the Map changes, so dropping the oldest is
   * O(1). A fresh `keys()` per eviction would step over every slot deleted before it (V8 compacts a
   * Map's table only on a rehash): tens of microseconds per request once the store is full.
   */
  #oldest: MapIterator<string> | undefined;
  #nextSweep = 0;

  constructor(options: { maxEntries?: number } = {}) {
    this.#maxEntries = options.maxEntries ?? MAX_ENTRIES;
  }

  /** Entries held, expired ones included until the next sweep. */
  get size(): number {
    return this.#entries.size;
  }

  get(keys: readonly string[]): number[] {
    const now = Date.now();
    if (now >= this.#nextSweep) this.#sweep(now);
    const out = new Array<number>(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const c = this.#entries.get(keys[i]!);
      out[i] = c === undefined || c.expiresAt <= now ? 0 : c.count;
    }
    return out;
  }

  increment(keys: readonly string[], expiresAt: readonly number[]): void {
    const now = Date.now();
    if (now >= this.#nextSweep) this.#sweep(now);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const c = this.#entries.get(key);
      if (c === undefined) {
        if (this.#entries.size >= this.#maxEntries) this.#dropOldest();
        this.#entries.set(key, { count: 1, expiresAt: expiresAt[i]! });
      } else if (c.expiresAt <= now) {
        c.count = 1;
        c.expiresAt = expiresAt[i]!;
      } else c.count++;
    }
  }

  #sweep(now: number): void {
    this.#nextSweep = now + SWEEP_EVERY_MS;
    for (const [key, c] of this.#entries) if (c.expiresAt <= now) this.#entries.delete(key);
    // A parked iterator keeps the Map's old table alive across a rehash (say, the shrink after a big
    // sweep) until it moves again; let it go, and start a new one when eviction is next needed.
    this.#oldest = undefined;
  }

  /** Drops the entry inserted first that is still here (a Map iterates in insertion order). */
  #dropOldest(): void {
    let next = this.#oldest?.next();
    if (next === undefined || next.done === true) {
      // An iterator that has reached the end stays done, even once keys are added: start a new one.
      this.#oldest = this.#entries.keys();
      next = this.#oldest.next();
    }
    if (next.done !== true) this.#entries.delete(next.value);
  }
}

// --- Across worker processes -------------------------------------------------------------------

/** The `type` every counter message carries; any other IPC message is left to its own handler. */
const TYPE = 'tollgate:counters';

export type CounterRequest =
  | { type: typeof TYPE; id: number; op: 'get'; keys: readonly string[] }
  | { type: typeof TYPE; id: number; op: 'increment'; keys: readonly string[]; expiresAt: readonly number[] };
export type CounterReply = { type: typeof TYPE; id: number; values?: readonly number[]; error?: string };

const isCounterMessage = (msg: unknown): msg is { type: typeof TYPE; id: number } =>
  typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === TYPE;

/**
 * Primary side: answers one worker message from `store` when it is a counter request, and returns
 * whether it was one. Call it from each worker's `message` listener.
 * @example worker.on('message', (msg) => answerCounterRequest(store, msg, (reply) => worker.send(reply)));
 */
export function answerCounterRequest(store: CounterStore, msg: unknown, reply: (message: CounterReply) => void): boolean {
  if (!isCounterMessage(msg) || !('op' in msg)) return false;
  const req = msg as CounterRequest;
  try {
    if (req.op === 'get') {
      const values = store.get(req.keys);
      if (values instanceof Promise) throw new Error('the primary needs an in-memory counter store');
      reply({ type: TYPE, id: req.id, values });
    } else {
      store.increment(req.keys, req.expiresAt);
      reply({ type: TYPE, id: req.id });
    }
  } catch (err) {
    reply({ type: TYPE, id: req.id, error: (err as Error).message });
  }
  return true;
}

interface Pending {
  resolve: (values: readonly number[] | undefined) => void;
  reject: (err: Error) => void;
  /** performance.now() when it was sent. */
  sentAt: number;
}

/** Calls one worker may have waiting for the primary before further ones fail at once. */
const MAX_PENDING = 10_000;

/**
 * Worker side: a counter store whose counters live in the primary. Every call is one IPC round
 * trip; a call the primary does not answer within `timeoutMs` (it is gone or wedged) rejects, so
 * requests fail fast instead of waiting forever. With `maxPending` calls already waiting, a new call
 * rejects at once rather than growing the IPC queue without bound: the caller's failure path (for
 * rate-limiting, `fault_tolerant`) applies, as when the primary is gone.
 * @example
 *   const counters = new RemoteCounterStore((msg) => process.send!(msg));
 *   process.on('message', (msg) => counters.receive(msg));
 */
export class RemoteCounterStore implements CounterStore {
  readonly #send: (message: CounterRequest) => void;
  readonly #timeoutMs: number;
  readonly #maxPending: number;
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(send: (message: CounterRequest) => void, options: { timeoutMs?: number; maxPending?: number } = {}) {
    this.#send = send;
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#maxPending = options.maxPending ?? MAX_PENDING;
  }

  /** Calls sent and not yet answered, failed or timed out. */
  get pending(): number {
    return this.#pending.size;
  }

  get(keys: readonly string[]): Promise<readonly number[]> {
    return this.#call((id) => ({ type: TYPE, id, op: 'get', keys })) as Promise<readonly number[]>;
  }

  async increment(keys: readonly string[], expiresAt: readonly number[]): Promise<void> {
    await this.#call((id) => ({ type: TYPE, id, op: 'increment', keys, expiresAt }));
  }

  /** Feed every message from the primary here; returns whether it was a counter reply. */
  receive(msg: unknown): boolean {
    if (!isCounterMessage(msg) || 'op' in msg) return false;
    const reply = msg as CounterReply;
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return true; // answered after it timed out
    this.#pending.delete(reply.id);
    if (reply.error !== undefined) pending.reject(new Error(`node counters: ${reply.error}`));
    else pending.resolve(reply.values);
    return true;
  }

  /** Rejects the calls still waiting (the worker is shutting down). */
  close(): void {
    this.#failAll(new Error('node counters: the worker is shutting down'));
  }

  #call(make: (id: number) => CounterRequest): Promise<readonly number[] | undefined> {
    if (this.#pending.size >= this.#maxPending) {
      return Promise.reject(new Error(`node counters: ${this.#maxPending} calls are already waiting for the primary process`));
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      try {
        this.#send(make(id));
      } catch (err) {
        reject(new Error(`node counters: cannot reach the primary process (${(err as Error).message})`));
        return;
      }
      this.#pending.set(id, { resolve, reject, sentAt: performance.now() });
      // One unref'd timer for all calls in flight rather than one per call.
      this.#timer ??= setInterval(() => this.#expire(), Math.max(10, this.#timeoutMs / 2)).unref();
    });
  }

  #expire(): void {
    // Monotonic: a wall-clock step must neither expire every call at once nor none for hours.
    const limit = performance.now() - this.#timeoutMs;
    // A Map iterates in insertion order, which is the order calls were sent.
    for (const [id, p] of this.#pending) {
      if (p.sentAt > limit) break;
      this.#pending.delete(id);
      p.reject(new Error(`node counters: the primary process did not answer within ${this.#timeoutMs} ms`));
    }
    if (this.#pending.size === 0) this.#stopTimer();
  }

  #failAll(err: Error): void {
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
    this.#stopTimer();
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
