// Weighted round-robin, nginx's "smooth" variant: weights interleave (5:1:1 gives a a b a c a a), and any
// window of sum(weights) picks is exactly proportional. Kong shuffles a wheel instead; this is
// deterministic and needs no wheel. https://github.com/phusion/nginx/commit/27e94984486058d73157038f7950a0a36ecc6e35
import type { Algorithm } from './algorithm.ts';
import { type PeerState, usable } from './peer.ts';
import type { PickResult } from './types.ts';

export class RoundRobin implements Algorithm {
  #peers: readonly PeerState[] = [];
  #current = new Float64Array(0);

  rebuild(peers: readonly PeerState[]): void {
    this.#peers = peers;
    this.#current = new Float64Array(peers.length);
  }

  pick(_input: unknown, exclude: ReadonlySet<string> | undefined): PickResult | null {
    const peers = this.#peers;
    const current = this.#current;
    let best = -1;
    let total = 0;
    for (let i = 0; i < peers.length; i++) {
      const peer = peers[i]!;
      if (!usable(peer, exclude)) continue;
      const w = (current[i]! += peer.weight);
      total += peer.weight;
      if (best < 0 || w > current[best]!) best = i;
    }
    if (best < 0) return null;
    current[best]! -= total;
    return peers[best]!.result;
  }
}
