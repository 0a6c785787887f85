// Health verdicts from reports, as lua-resty-healthcheck counts them (Kong's health checker):
// one set of counters per address shared by active and passive checks, each report with its own limit.
// A failure resets the success counter, a success resets the failure counters, so the limits count
// "in a row"; a limit of 0 disables that report entirely (it does not even reset the others).
import type { PeerState } from './peer.ts';
import type { Healthchecks, TryOutcome } from './types.ts';

export type Report = 'success' | 'http' | 'tcp' | 'timeout';

/** What a probe saw. */
export type ProbeOutcome = { kind: 'status'; status: number } | { kind: 'connected' } | { kind: 'tcp-error' } | { kind: 'timeout' };

/** Whether Kong would create a health checker for this upstream (anything else reports HEALTHCHECKS_OFF). */
export function checksEnabled(hc: Healthchecks): boolean {
  return (
    hc.active.healthy.interval > 0 ||
    hc.active.unhealthy.interval > 0 ||
    hc.passive.unhealthy.tcp_failures > 0 ||
    hc.passive.unhealthy.timeouts > 0 ||
    hc.passive.unhealthy.http_failures > 0
  );
}

interface Limits {
  healthyStatuses: ReadonlySet<number>;
  unhealthyStatuses: ReadonlySet<number>;
  success: number;
  http: number;
  tcp: number;
  timeout: number;
}

/** Turns passive outcomes and probe results into verdicts on a peer. */
export class HealthPolicy {
  readonly #passive: Limits;
  readonly #active: Limits;

  constructor(hc: Healthchecks) {
    this.#passive = limits(hc.passive);
    this.#active = limits(hc.active);
  }

  /**
   * Counts a proxied try. Returns the new verdict when the peer flips, else undefined.
   * A 504 response counts as a timeout, as Kong reports it from the log phase.
   */
  passive(peer: PeerState, outcome: TryOutcome): boolean | undefined {
    const l = this.#passive;
    if (outcome.kind === 'tcp-error') return apply(peer, 'tcp', l.tcp, false);
    if (outcome.kind === 'timeout' || outcome.status === 504) return apply(peer, 'timeout', l.timeout, false);
    // Traffic never reaches an unhealthy peer, and a straggling success must not revive it: per Kong's
    // docs only active checks or an admin can.
    if (l.healthyStatuses.has(outcome.status)) return apply(peer, 'success', l.success, false);
    if (l.unhealthyStatuses.has(outcome.status)) return apply(peer, 'http', l.http, false);
    return undefined;
  }

  /** Counts an active probe. Returns the new verdict when the peer flips, else undefined. */
  active(peer: PeerState, outcome: ProbeOutcome): boolean | undefined {
    const l = this.#active;
    switch (outcome.kind) {
      case 'connected':
        return apply(peer, 'success', l.success, true);
      case 'tcp-error':
        return apply(peer, 'tcp', l.tcp, true);
      case 'timeout':
        return apply(peer, 'timeout', l.timeout, true);
      case 'status':
        if (l.healthyStatuses.has(outcome.status)) return apply(peer, 'success', l.success, true);
        // An unparsable status line is 0 in lua-resty-healthcheck, an HTTP failure.
        if (l.unhealthyStatuses.has(outcome.status) || outcome.status === 0) return apply(peer, 'http', l.http, true);
        return undefined;
    }
  }
}

function limits(side: Healthchecks['active'] | Healthchecks['passive']): Limits {
  return {
    healthyStatuses: new Set(side.healthy.http_statuses),
    unhealthyStatuses: new Set(side.unhealthy.http_statuses),
    success: side.healthy.successes,
    http: side.unhealthy.http_failures,
    tcp: side.unhealthy.tcp_failures,
    timeout: side.unhealthy.timeouts,
  };
}

/** One report against `limit`; returns the new verdict on a flip. */
export function apply(peer: PeerState, report: Report, limit: number, canRevive: boolean): boolean | undefined {
  if (limit <= 0) return undefined;
  if (report === 'success') {
    peer.httpFailures = peer.tcpFailures = peer.timeouts = 0;
    if (peer.healthy || !canRevive) return undefined;
    if (++peer.successes < limit) return undefined;
    peer.healthy = true;
    peer.resetCounters();
    return true;
  }
  peer.successes = 0;
  if (!peer.healthy) return undefined;
  const count = report === 'http' ? ++peer.httpFailures : report === 'tcp' ? ++peer.tcpFailures : ++peer.timeouts;
  if (count < limit) return undefined;
  peer.healthy = false;
  peer.resetCounters();
  return false;
}
