// One balancing address with the mutable state the algorithms and health checks share.
import type { Peer, PickResult } from './types.ts';

/** `ip:port`, with IPv6 in brackets (the pool key). */
export function formatAddress(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export class PeerState implements Peer {
  readonly address: string;
  readonly ip: string;
  readonly port: number;
  readonly hostname: string;
  readonly targetId: string;
  readonly weight: number;
  /** The target's `host:port` (health carries over between balancers by this and the ip). */
  readonly target: string;
  /** Reused for every pick of this peer, so picking allocates nothing. */
  readonly result: PickResult;

  /** The health-check verdict: false means no traffic. Always true when checks are off. */
  healthy = true;
  /** Counters toward a health flip (lua-resty-healthcheck's multi-counter, shared by active and passive). */
  successes = 0;
  httpFailures = 0;
  tcpFailures = 0;
  timeouts = 0;

  /** Tries in flight (least-connections). */
  inflight = 0;
  /** Latency EWMA in ms and when it was last updated (latency algorithm). */
  ewma = 0;
  ewmaAt = Number.NEGATIVE_INFINITY;

  constructor(ip: string, port: number, hostname: string, targetId: string, target: string, weight: number) {
    this.ip = ip;
    this.port = port;
    this.address = formatAddress(ip, port);
    this.hostname = hostname;
    this.targetId = targetId;
    this.target = target;
    this.weight = weight;
    this.result = Object.freeze({ peer: this });
  }

  resetCounters(): void {
    this.successes = 0;
    this.httpFailures = 0;
    this.tcpFailures = 0;
    this.timeouts = 0;
  }
}

/** Whether `peer` may be picked now. */
export function usable(peer: PeerState, exclude: ReadonlySet<string> | undefined): boolean {
  return peer.healthy && (exclude === undefined || !exclude.has(peer.address));
}
