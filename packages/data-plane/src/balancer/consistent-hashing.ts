// Consistent hashing on a ring of `slots` positions, Ketama-style as Kong 2.7+ builds it
// (kong/runloop/balancer/consistent_hashing.lua): each peer owns points at crc32("<ip:port> <i>") % slots,
// as many as its share of the weight; a request's hash value lands at crc32(value) % slots and goes to
// the owner of the nearest point at or below it (Kong walks "counter-clockwise"), skipping unavailable
// peers. A peer's points never depend on the others', so adding or removing one moves only its keys.
import { crc32 } from 'node:zlib';
import type { Algorithm } from './algorithm.ts';
import { compileHashValue, type HashValue } from './hash-value.ts';
import { type PeerState, usable } from './peer.ts';
import type { BalancerInput, PickResult, UpstreamEntity } from './types.ts';

/** Points per peer when all weigh the same (Kong's SERVER_POINTS). */
const POINTS_PER_PEER = 160;
/** Points stay below this share of the ring, so placing one rarely collides. */
const MAX_FILL = 0.75;

export class ConsistentHashing implements Algorithm {
  readonly #slots: number;
  readonly #hash: (input: BalancerInput) => HashValue;
  /** Occupied ring positions, ascending, and the peer owning each. */
  #positions = new Uint32Array(0);
  #owners: PeerState[] = [];

  constructor(upstream: UpstreamEntity) {
    this.#slots = Number.isInteger(upstream.slots) && upstream.slots > 0 ? upstream.slots : 10000;
    this.#hash = compileHashValue(upstream);
  }

  rebuild(peers: readonly PeerState[]): void {
    const slots = this.#slots;
    // Sorted, so the first-come rule on collisions is the same whatever order targets arrive in.
    const sorted = [...peers].sort((a, b) => compare(a.address, b.address) || compare(a.targetId, b.targetId));
    let total = 0;
    for (const peer of sorted) total += peer.weight;
    const budget = Math.min(sorted.length * POINTS_PER_PEER, Math.floor(slots * MAX_FILL));
    const ring = new Int32Array(slots).fill(-1);
    let used = 0;
    for (let p = 0; p < sorted.length; p++) {
      const peer = sorted[p]!;
      const entries = Math.max(1, Math.floor((peer.weight / total) * budget));
      // On a collision the next index is tried (Kong "moves the problem forward"); bounded for tiny rings.
      for (let i = 1, placed = 0, tries = entries * 8 + 64; placed < entries && tries > 0; i++, tries--) {
        const pos = crc32(`${peer.address} ${i}`) % slots;
        if (ring[pos] !== -1) continue;
        ring[pos] = p;
        placed++;
        used++;
      }
    }
    const positions = new Uint32Array(used);
    const owners = new Array<PeerState>(used);
    for (let pos = 0, k = 0; pos < slots; pos++) {
      const p = ring[pos]!;
      if (p === -1) continue;
      positions[k] = pos;
      owners[k++] = sorted[p]!;
    }
    this.#positions = positions;
    this.#owners = owners;
  }

  pick(input: () => BalancerInput, exclude: ReadonlySet<string> | undefined): PickResult | null {
    const owners = this.#owners;
    const n = owners.length;
    if (n === 0) return null;
    const hash = this.#hash(input());
    let i = this.#pointAtOrBelow(crc32(hash.value) % this.#slots);
    let excluded: PeerState | undefined;
    for (let k = 0; k < n; k++, i = i === 0 ? n - 1 : i - 1) {
      const peer = owners[i]!;
      if (usable(peer, exclude)) return hash.setCookie === undefined ? peer.result : { peer, setCookie: hash.setCookie };
      // Retries prefer the next peer on the ring, but fall back to an excluded one rather than to nothing.
      if (excluded === undefined && peer.healthy) excluded = peer;
    }
    if (excluded === undefined) return null;
    return hash.setCookie === undefined ? excluded.result : { peer: excluded, setCookie: hash.setCookie };
  }

  /** Index of the last point at or below `slot`, wrapping to the highest point. */
  #pointAtOrBelow(slot: number): number {
    const positions = this.#positions;
    let lo = 0;
    let hi = positions.length - 1;
    if (slot < positions[0]!) return hi;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (positions[mid]! <= slot) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
