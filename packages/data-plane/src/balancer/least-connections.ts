// Least-connections: the lowest (in-flight + 1) / weight wins (Kong's formula: the +1 lets the heavier
// of two idle peers go first); ties go round robin from a rotating start.
import type { Algorithm } from './algorithm.ts';
import { type PeerState, usable } from './peer.ts';
import type { PickResult } from './types.ts';

export class LeastConnections implements Algorithm {
  #peers: readonly PeerState[] = [];
  #start = 0;

  rebuild(peers: readonly PeerState[]): void {
    this.#peers = peers;
    this.#start = 0;
  }

  pick(_input: unknown, exclude: ReadonlySet<string> | undefined): PickResult | null {
    const peers = this.#peers;
    const n = peers.length;
    if (n === 0) return null;
    const start = this.#start;
    this.#start = start + 1 === n ? 0 : start + 1;
    let best: PeerState | undefined;
    for (let k = 0, i = start; k < n; k++, i = i + 1 === n ? 0 : i + 1) {
      const peer = peers[i]!;
      if (!usable(peer, exclude)) continue;
      // a/b < c/d without division: exact for integer counts and weights.
      if (best === undefined || (peer.inflight + 1) * best.weight < (best.inflight + 1) * peer.weight) best = peer;
    }
    return best === undefined ? null : best.result;
  }
}
