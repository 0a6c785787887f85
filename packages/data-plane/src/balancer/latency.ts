// Latency: the lowest EWMA of response time per unit of weight wins; ties go round robin. As in Kong
// (kong/runloop/balancer/latency.lua, after Finagle's PeakEwma) the average decays toward 0 with a 10 s
// time constant while a peer gets no traffic, so a peer that was slow once is tried again later.
import type { Algorithm } from './algorithm.ts';
import { type PeerState, usable } from './peer.ts';
import type { PickResult, TryOutcome } from './types.ts';

const DECAY_MS = 10_000;

export class Latency implements Algorithm {
  readonly #now: () => number;
  #peers: readonly PeerState[] = [];
  #start = 0;

  constructor(now: () => number) {
    this.#now = now;
  }

  rebuild(peers: readonly PeerState[]): void {
    this.#peers = peers;
    this.#start = 0;
  }

  pick(_input: unknown, exclude: ReadonlySet<string> | undefined): PickResult | null {
    const peers = this.#peers;
    const n = peers.length;
    if (n === 0) return null;
    const now = this.#now();
    const start = this.#start;
    this.#start = start + 1 === n ? 0 : start + 1;
    let best: PeerState | undefined;
    let bestScore = 0;
    for (let k = 0, i = start; k < n; k++, i = i + 1 === n ? 0 : i + 1) {
      const peer = peers[i]!;
      if (!usable(peer, exclude)) continue;
      const score = decayed(peer, now, 0) / peer.weight;
      if (best === undefined || score < bestScore) {
        best = peer;
        bestScore = score;
      }
    }
    return best === undefined ? null : best.result;
  }

  observe(peer: PeerState, outcome: TryOutcome, latencyMs: number): void {
    // A refused connection fails fast: counting it would make a dead peer look like the quickest.
    if (outcome.kind === 'tcp-error') return;
    const now = this.#now();
    peer.ewma = decayed(peer, now, latencyMs);
    peer.ewmaAt = now;
  }
}

/** The EWMA moved toward `sample` by the time elapsed since the last update (the first sample is taken whole). */
function decayed(peer: PeerState, now: number, sample: number): number {
  const elapsed = now - peer.ewmaAt;
  if (elapsed === Number.POSITIVE_INFINITY) return sample;
  const keep = Math.exp(-Math.max(0, elapsed) / DECAY_MS);
  return peer.ewma * keep + sample * (1 - keep);
}
