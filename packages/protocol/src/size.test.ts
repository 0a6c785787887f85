// Wire sizes and timings at scale: a one-route change is a sub-KiB delta while the snapshot is megabytes,
// and a 30,000-entity config hashes, encodes and decodes fast enough to send on every change.
import { inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decode, encode, encodeSnapshot } from './codec.ts';
import { applyDelta, diffEntities } from './delta.ts';
import { configHash } from './hash.ts';
import { makeConfig } from './test-config.ts';

const kib = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;

function timed<T>(fn: () => T): { value: T; ms: number } {
  fn(); // warm up: the first call pays for JIT and buffer growth
  const start = performance.now();
  const value = fn();
  return { value, ms: performance.now() - start };
}

describe('wire sizes', () => {
  it('a delta changing one route in a 10,000-route config is under 1 KiB; the snapshot is megabytes', () => {
    const config = makeConfig({ services: 1_000, routes: 10_000, consumers: 0 });
    const routes = config.routes!;
    const edited = { ...config, routes: routes.map((r, i) => (i === 4_321 ? { ...r, paths: ['/orders/v2'], updated_at: r.created_at + 60 } : r)) };
    const changes = diffEntities(config, edited);
    expect(changes).toHaveLength(1);
    const hash = configHash(edited);
    const delta = encode({ type: 'delta', from: 100, version: 101, hash, changes });
    const snapshot = encodeSnapshot(101, hash, edited);
    const rawSnapshot = Buffer.byteLength(JSON.stringify(edited));
    const msgpackBytes = inflateRawSync(snapshot.subarray(1)).length;
    console.log(`one-route delta: ${delta.length} B; snapshot: ${kib(snapshot.length)} deflated, ${kib(msgpackBytes)} msgpack, ${kib(rawSnapshot)} as JSON`);
    expect(delta.length).toBeLessThan(1024);
    expect(rawSnapshot).toBeGreaterThan(4 * 1024 * 1024);
    expect(snapshot.length).toBeGreaterThan(500 * delta.length);
    const received = decode(delta);
    expect(received.type === 'delta' && configHash(applyDelta(config, received.changes))).toBe(hash);
  });

  it('10k services + 10k routes + 10k consumers survive encode and decode with their hash', () => {
    const config = makeConfig({ services: 10_000, routes: 10_000, consumers: 10_000 });
    const hash = timed(() => configHash(config));
    const enc = timed(() => encodeSnapshot(1, hash.value, config));
    const dec = timed(() => decode(enc.value));
    const json = Buffer.byteLength(JSON.stringify(config));
    console.log(
      `30k entities: configHash ${hash.ms.toFixed(0)} ms, encodeSnapshot ${enc.ms.toFixed(0)} ms, decode ${dec.ms.toFixed(0)} ms; ` +
        `snapshot ${kib(enc.value.length)} deflated (JSON ${kib(json)})`,
    );
    // A deep toEqual over 30k records costs seconds; the hash compares every field too.
    expect(dec.value.type === 'snapshot' && configHash(dec.value.entities)).toBe(hash.value);
  });
});
