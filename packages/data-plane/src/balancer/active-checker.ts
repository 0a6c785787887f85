// Active health checks: each watched peer is probed on its own timer, every healthy.interval while
// healthy and every unhealthy.interval while unhealthy (0 = not probed in that state), at most
// `concurrency` probes at a time. Timers and sockets are unref'd: probing never keeps the process alive.
import type { HealthPolicy } from './health.ts';
import type { PeerState } from './peer.ts';
import { probe, type ProbeOptions } from './probe.ts';
import type { Healthchecks, ProbeTls } from './types.ts';

export interface ActiveCheckerOptions {
  config: Healthchecks['active'];
  policy: HealthPolicy;
  hostHeader: (peer: PeerState) => string;
  tls?: ProbeTls | undefined;
  /** A probe flipped the peer's verdict. */
  onFlip: (peer: PeerState, healthy: boolean) => void;
}

/** Where a watched peer is in its cycle: waiting on a timer (or idle when its interval is 0), queued, or probing. */
type Slot = { state: 'timer'; timer: NodeJS.Timeout | undefined } | { state: 'queued' } | { state: 'probing' };

/** True when active checks would probe anything at all. */
export function activeEnabled(config: Healthchecks['active']): boolean {
  return config.healthy.interval > 0 || config.unhealthy.interval > 0;
}

export class ActiveChecker {
  readonly #options: ActiveCheckerOptions;
  readonly #slots = new Map<PeerState, Slot>();
  readonly #queue: PeerState[] = [];
  #running = 0;
  #closed = false;

  constructor(options: ActiveCheckerOptions) {
    this.#options = options;
  }

  watch(peer: PeerState): void {
    if (this.#closed || this.#slots.has(peer)) return;
    this.#schedule(peer);
  }

  unwatch(peer: PeerState): void {
    const slot = this.#slots.get(peer);
    if (slot?.state === 'timer') clearTimeout(slot.timer);
    this.#slots.delete(peer);
  }

  /** The peer's verdict changed elsewhere (passive check, admin): its probe interval may have too. */
  healthChanged(peer: PeerState): void {
    const slot = this.#slots.get(peer);
    // A queued or running probe reschedules by the new verdict when it completes.
    if (slot?.state !== 'timer') return;
    clearTimeout(slot.timer);
    this.#schedule(peer);
  }

  close(): void {
    this.#closed = true;
    for (const slot of this.#slots.values()) if (slot.state === 'timer') clearTimeout(slot.timer);
    this.#slots.clear();
    this.#queue.length = 0;
  }

  #schedule(peer: PeerState): void {
    const { healthy, unhealthy } = this.#options.config;
    const seconds = peer.healthy ? healthy.interval : unhealthy.interval;
    if (seconds <= 0) {
      this.#slots.set(peer, { state: 'timer', timer: undefined });
      return;
    }
    const timer = setTimeout(() => {
      if (this.#slots.get(peer)?.state !== 'timer') return;
      this.#slots.set(peer, { state: 'queued' });
      this.#queue.push(peer);
      this.#pump();
    }, seconds * 1000);
    timer.unref();
    this.#slots.set(peer, { state: 'timer', timer });
  }

  #pump(): void {
    const limit = Math.max(1, this.#options.config.concurrency);
    while (this.#running < limit && this.#queue.length > 0) {
      const peer = this.#queue.shift()!;
      if (this.#slots.get(peer)?.state !== 'queued') continue; // unwatched meanwhile
      this.#slots.set(peer, { state: 'probing' });
      this.#running++;
      void this.#run(peer);
    }
  }

  async #run(peer: PeerState): Promise<void> {
    const { config } = this.#options;
    const options: ProbeOptions = { config, hostHeader: this.#options.hostHeader(peer), sni: config.https_sni ?? peer.hostname, tls: this.#options.tls };
    const outcome = await probe(peer, options);
    this.#running--;
    if (!this.#closed && this.#slots.get(peer)?.state === 'probing') {
      const flipped = this.#options.policy.active(peer, outcome);
      if (flipped !== undefined) this.#options.onFlip(peer, flipped);
      if (this.#slots.has(peer)) this.#schedule(peer);
    }
    this.#pump();
  }
}
