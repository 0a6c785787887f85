// The interface every balancing algorithm implements, and the choice of one from an upstream (Kong's rules).
import { ConsistentHashing } from './consistent-hashing.ts';
import { Latency } from './latency.ts';
import { LeastConnections } from './least-connections.ts';
import type { PeerState } from './peer.ts';
import { RoundRobin } from './round-robin.ts';
import type { BalancerInput, PickResult, TryOutcome, UpstreamEntity } from './types.ts';

export interface Algorithm {
  /**
   * Takes the peers to balance over (weight > 0, in a stable order) whenever targets or DNS answers
   * change. Health changes do not rebuild: `pick` reads `peer.healthy`.
   */
  rebuild(peers: readonly PeerState[]): void;
  /** A healthy peer whose address is not in `exclude`, or null. */
  pick(input: () => BalancerInput, exclude: ReadonlySet<string> | undefined): PickResult | null;
  /** A try on `peer` ended (latency feeds its EWMA). */
  observe?(peer: PeerState, outcome: TryOutcome, latencyMs: number): void;
}

export type AlgorithmName = UpstreamEntity['algorithm'];

/**
 * Kong: any `hash_on` but none means consistent hashing, whatever `algorithm` says
 * (and consistent-hashing with hash_on none hashes the empty string: one peer takes everything).
 */
export function algorithmOf(upstream: UpstreamEntity): AlgorithmName {
  const hashOn = upstream.hash_on ?? 'none';
  if (hashOn !== 'none') return 'consistent-hashing';
  return upstream.algorithm ?? 'round-robin';
}

export function createAlgorithm(upstream: UpstreamEntity, now: () => number): Algorithm {
  switch (algorithmOf(upstream)) {
    case 'round-robin':
      return new RoundRobin();
    case 'consistent-hashing':
      return new ConsistentHashing(upstream);
    case 'least-connections':
      return new LeastConnections();
    case 'latency':
      return new Latency(now);
  }
}
