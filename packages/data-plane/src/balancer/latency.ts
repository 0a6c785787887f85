// Latency: the lowest EWMA of response time per unit of weight wins; ties go round robin. As in Kong
// (kong/runloop/balancer/latency.lua, after Finagle's PeakEwma) the average decays toward 0 with a 10 s
// time constant while a peer gets no traffic, so a peer that was slow once is tried again later.
import { LowestScore } from './lowest-score.ts';
import type { PeerState } from './peer.ts';
import type { PickResult, TryOutcome } from './types.ts';

const DECAY_MS = 10_000;

export class Latency extends LowestScore {
  readonly #now: () => number;
  /** The clock read once per pick, for every peer's decay. */
  #pickedAt = 0;

  constructor(now: () => number) {
    super();
    this.#now = now;
  }

  override pick(input: unknown, exclude: ReadonlySet<string> | undefined): PickResult | null {
    this.#pickedAt = this.#now();
    return super.pick(input, exclude);
  }

  protected score(peer: PeerState): number {
    return decayed(peer, this.#pickedAt, 0) / peer.weight;
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
