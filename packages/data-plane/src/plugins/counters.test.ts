// The node counters on their own: the memory store's bound on keys and its once-a-second sweep, and
// the worker side's bound on calls waiting for the primary. The clock is vitest's, set by hand.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { answerCounterRequest, MemoryCounterStore, RemoteCounterStore, type CounterRequest } from './counters.ts';

const T0 = Date.UTC(2024, 0, 1);

describe('MemoryCounterStore', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'], now: T0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('counts within a window and starts again at 0 once it has expired', () => {
    const store = new MemoryCounterStore();
    store.increment(['a'], [T0 + 1000]);
    store.increment(['a'], [T0 + 1000]);
    expect(store.get(['a', 'missing'])).toEqual([2, 0]);
    vi.setSystemTime(T0 + 1000);
    expect(store.get(['a'])).toEqual([0]);
    store.increment(['a'], [T0 + 2000]);
    expect(store.get(['a'])).toEqual([1]);
  });

  it('keeps to maxEntries when only increments run, dropping the oldest keys', () => {
    const store = new MemoryCounterStore({ maxEntries: 3 });
    for (let i = 0; i < 10; i++) store.increment([`k${i}`], [T0 + 60_000]);
    expect(store.size).toBe(3);
    expect(store.get(['k6', 'k7', 'k8', 'k9'])).toEqual([0, 1, 1, 1]);
  });

  it('drops only as many entries as the new keys need, and none for keys it already holds', () => {
    const store = new MemoryCounterStore({ maxEntries: 4 });
    store.increment(['a', 'b', 'c', 'd'], Array(4).fill(T0 + 60_000));
    store.increment(['a', 'b', 'c', 'd'], Array(4).fill(T0 + 60_000));
    expect(store.size).toBe(4);
    expect(store.get(['a', 'b', 'c', 'd'])).toEqual([2, 2, 2, 2]);
    store.increment(['e', 'f'], [T0 + 60_000, T0 + 60_000]);
    expect(store.size).toBe(4);
    expect(store.get(['a', 'b', 'c', 'd', 'e', 'f'])).toEqual([0, 0, 2, 2, 1, 1]);
    // A key dropped and counted again is the newest, so the next to go is the oldest remaining.
    store.increment(['a'], [T0 + 60_000]);
    expect(store.get(['a', 'c', 'd'])).toEqual([1, 0, 2]);
  });

  it('sweeps expired entries at most once a second, even when full', () => {
    const store = new MemoryCounterStore({ maxEntries: 3 });
    // The first call sweeps (nothing yet), so the next sweep is due at T0 + 1000.
    store.increment(['a', 'short', 'c'], [T0 + 60_000, T0 + 100, T0 + 60_000]);
    vi.setSystemTime(T0 + 200);
    // 'short' has expired but lingers: reads at the cap do not rescan the store.
    for (let i = 0; i < 100; i++) expect(store.get(['short'])).toEqual([0]);
    expect(store.size).toBe(3);
    // A new key evicts the oldest ('a'), not the expired 'short': no sweep ran for it either.
    store.increment(['d'], [T0 + 60_000]);
    expect(store.size).toBe(3);
    expect(store.get(['a', 'c', 'd'])).toEqual([0, 1, 1]);
    // A second on, the next call sweeps: 'short' is gone without anything new being added.
    vi.setSystemTime(T0 + 1000);
    expect(store.get(['c'])).toEqual([1]);
    expect(store.size).toBe(2);
  });

  it('evicts correctly over many rounds of dropping and re-adding keys', () => {
    const store = new MemoryCounterStore({ maxEntries: 50 });
    const expires = [T0 + 60_000];
    for (let i = 0; i < 5000; i++) store.increment([`k${i % 120}`], expires);
    expect(store.size).toBe(50);
    // The 50 most recently created keys are the last 50 distinct ones touched.
    const last = Array.from({ length: 50 }, (_, j) => `k${(5000 - 50 + j) % 120}`);
    expect(store.get(last)).toEqual(Array(50).fill(1));
  });
});

describe('RemoteCounterStore', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A worker store wired straight to a primary-side memory store, with replies held until `flush`. */
  function wired(options: { maxPending?: number; timeoutMs?: number } = {}) {
    const primary = new MemoryCounterStore();
    const inbox: CounterRequest[] = [];
    const worker = new RemoteCounterStore((msg) => inbox.push(msg), options);
    const flush = () => {
      for (const msg of inbox.splice(0)) answerCounterRequest(primary, msg, (reply) => worker.receive(reply));
    };
    return { worker, inbox, flush };
  }

  it('answers from the primary over the message channel', async () => {
    const { worker, flush } = wired();
    const counted = worker.increment(['k'], [Date.now() + 60_000]);
    flush();
    await counted;
    const got = worker.get(['k']);
    flush();
    expect(await got).toEqual([1]);
    expect(worker.pending).toBe(0);
  });

  it('fails a call at once, without sending it, while maxPending calls are waiting', async () => {
    const { worker, inbox, flush } = wired({ maxPending: 2 });
    const waiting = [worker.get(['a']), worker.increment(['a'], [Date.now() + 60_000])];
    await expect(worker.get(['a'])).rejects.toThrow(/2 calls are already waiting for the primary process/);
    await expect(worker.increment(['a'], [Date.now() + 60_000])).rejects.toThrow(/already waiting/);
    expect(inbox).toHaveLength(2);
    flush();
    await Promise.all(waiting);
    // Room again once the primary has answered.
    const next = worker.get(['a']);
    flush();
    expect(await next).toEqual([1]);
  });

  it('rejects calls the primary does not answer within timeoutMs, by the monotonic clock', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance', 'Date'] });
    const { worker } = wired({ timeoutMs: 1000 });
    const outcome = worker.get(['a']).then(() => 'answered', (err: Error) => err.message);
    // A wall-clock step (NTP, a VM resumed) neither expires the call early…
    vi.setSystemTime(Date.now() + 3_600_000);
    await vi.advanceTimersByTimeAsync(600);
    expect(worker.pending).toBe(1);
    // …nor keeps it past its timeout.
    await vi.advanceTimersByTimeAsync(1000);
    expect(await outcome).toMatch(/did not answer within 1000 ms/);
    expect(worker.pending).toBe(0);
  });
});
