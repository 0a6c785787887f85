// Shared by least-connections and latency: the usable peer with the lowest score wins, scanning from
// a start that moves one peer per pick, so equal scores are served round robin.
import type { Algorithm } from './algorithm.ts';
import { type PeerState, usable } from './peer.ts';
import type { PickResult } from './types.ts';

export abstract class LowestScore implements Algorithm {
  #peers: readonly PeerState[] = [];
  #start = 0;

  rebuild(peers: readonly PeerState[]): void {
    this.#peers = peers;
    this.#start = 0;
  }

  /** Lower is better. Called once per usable peer per pick. */
  protected abstract score(peer: PeerState): number;

  pick(_input: unknown, exclude: ReadonlySet<string> | undefined): PickResult | null {
    const peers = this.#peers;
    const n = peers.length;
    if (n === 0) return null;
    const start = this.#start;
    this.#start = start + 1 === n ? 0 : start + 1;
    let best: PeerState | undefined;
    let bestScore = 0;
    for (let k = 0, i = start; k < n; k++, i = i + 1 === n ? 0 : i + 1) {
      const peer = peers[i]!;
      if (!usable(peer, exclude)) continue;
      const score = this.score(peer);
      if (best === undefined || score < bestScore) {
        best = peer;
        bestScore = score;
      }
    }
    return best === undefined ? null : best.result;
  }
}
