// Least-connections: the lowest (in-flight + 1) / weight wins (Kong's formula: the +1 lets the heavier
// of two idle peers go first); ties go round robin from a rotating start.
import { LowestScore } from './lowest-score.ts';
import type { PeerState } from './peer.ts';

export class LeastConnections extends LowestScore {
  // Equal ratios of integers divide to the same double, so ties stay ties.
  protected score(peer: PeerState): number {
    return (peer.inflight + 1) / peer.weight;
  }
}
