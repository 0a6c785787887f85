// An upstream's targets and the peers they stand for: an IP target is one peer; a hostname is one peer
// per address it resolves to, re-resolved in the background when the TTL runs out (never on the request
// path). A failed re-resolution keeps the last good addresses, as Kong's balancer does.
import net from 'node:net';
import { PeerState } from './peer.ts';
import type { ResolvedAddress, Resolver, TargetEntity } from './types.ts';

/** Kong's default target port. */
const DEFAULT_PORT = 8000;
/** A target that never resolved is retried at least this often, whatever dnsRetrySeconds says. */
const FIRST_RETRY_MAX_SECONDS = 5;

export interface TargetState {
  readonly entity: TargetEntity;
  /** `host:port` as the control plane normalises it (IPv6 in brackets). */
  readonly key: string;
  readonly host: string;
  readonly port: number;
  readonly isIp: boolean;
  /** Current addresses, sorted by ip. Empty until the first answer: Kong's DNS_ERROR. */
  peers: PeerState[];
  timer: NodeJS.Timeout | undefined;
}

export interface TargetSetOptions {
  resolver: Resolver;
  log: (msg: string) => void;
  minTtlSeconds: number;
  retrySeconds: number;
  /** Addresses a previous balancer had for a target key: used until the first answer arrives. */
  seed?: ReadonlyMap<string, readonly string[]> | undefined;
  /** The peer list changed (after construction: DNS answers). */
  onChange: (removed: readonly PeerState[], added: readonly PeerState[]) => void;
}

/**
 * Splits `host:port`, `[v6]:port`, a bare host or a bare IPv6 literal (port 8000 when absent).
 * @example parseTarget('[::1]:80') // { host: '::1', port: 80 }
 */
export function parseTarget(target: string): { host: string; port: number } {
  if (target.startsWith('[')) {
    const end = target.indexOf(']');
    const port = target.slice(end + 1).startsWith(':') ? Number(target.slice(end + 2)) : DEFAULT_PORT;
    return { host: target.slice(1, end), port };
  }
  const colon = target.indexOf(':');
  if (colon < 0) return { host: target, port: DEFAULT_PORT };
  if (target.indexOf(':', colon + 1) >= 0) return { host: target, port: DEFAULT_PORT }; // bare IPv6
  return { host: target.slice(0, colon), port: Number(target.slice(colon + 1)) };
}

export class TargetSet {
  readonly targets: TargetState[];
  /** Settles when every hostname target has had its first answer or failure. */
  readonly ready: Promise<void>;
  readonly #options: TargetSetOptions;
  #closed = false;

  constructor(entities: readonly TargetEntity[], options: TargetSetOptions) {
    this.#options = options;
    this.targets = entities.map((entity) => {
      const { host, port } = parseTarget(entity.target);
      const isIp = net.isIP(host) !== 0;
      const key = `${host.includes(':') ? `[${host}]` : host}:${port}`;
      const target: TargetState = { entity, key, host, port, isIp, peers: [], timer: undefined };
      if (isIp) target.peers = [new PeerState(host, port, host, entity.id, key, entity.weight)];
      return target;
    });
    const first: Promise<void>[] = [];
    for (const target of this.targets) {
      if (target.isIp) continue;
      // Start from what is already known, so a rebuilt balancer has peers at once.
      const cached = options.resolver.cached?.(target.host);
      const seed = options.seed?.get(target.key);
      if (cached !== undefined && cached.length > 0) {
        target.peers = this.#peersFor(target, cached.map((a) => a.address));
        const ttl = Math.min(...cached.map((a) => a.ttlSeconds));
        // A stale answer is used while a fresh one is fetched in the background.
        if (ttl > 0) this.#afterTtl(target, ttl);
        else this.#schedule(target, 0);
      } else if (seed !== undefined && seed.length > 0) {
        target.peers = this.#peersFor(target, seed);
        this.#schedule(target, 0);
      } else {
        first.push(this.#refresh(target));
      }
    }
    this.ready = Promise.all(first).then(() => undefined);
  }

  close(): void {
    this.#closed = true;
    for (const target of this.targets) clearTimeout(target.timer);
  }

  async #refresh(target: TargetState): Promise<void> {
    let answers: ResolvedAddress[];
    try {
      answers = await this.#options.resolver.resolve(target.host);
      if (answers.length === 0) throw new Error('no addresses');
    } catch (err) {
      if (this.#closed) return;
      const never = target.peers.length === 0;
      const retry = never ? Math.min(this.#options.retrySeconds, FIRST_RETRY_MAX_SECONDS) : this.#options.retrySeconds;
      this.#options.log(
        `balancer: resolving target ${target.key} failed (${(err as Error).message}); ` +
          (never ? 'it gets no traffic' : 'keeping its last addresses') + `, retrying in ${retry}s`,
      );
      this.#schedule(target, Math.max(retry, 0.01) * 1000);
      return;
    }
    if (this.#closed) return;
    this.#update(target, answers.map((a) => a.address));
    this.#afterTtl(target, Math.min(...answers.map((a) => a.ttlSeconds)));
  }

  /** Re-resolves after a record's TTL, floored at dnsMinTtlSeconds so TTL 0 cannot spin. */
  #afterTtl(target: TargetState, ttlSeconds: number): void {
    if (Number.isFinite(ttlSeconds)) this.#schedule(target, Math.max(ttlSeconds, this.#options.minTtlSeconds) * 1000);
  }

  #schedule(target: TargetState, delayMs: number): void {
    clearTimeout(target.timer);
    target.timer = undefined;
    if (this.#closed) return;
    // setTimeout fires at once past 2^31 ms; a day is a fine ceiling for any TTL.
    target.timer = setTimeout(() => void this.#refresh(target), Math.min(delayMs, 86_400_000));
    target.timer.unref();
  }

  /** Replaces the target's peers, keeping the state (health, EWMA, in-flight) of addresses that stay. */
  #update(target: TargetState, ips: readonly string[]): void {
    const next = this.#peersFor(target, ips);
    const old = new Map(target.peers.map((p) => [p.ip, p]));
    const added: PeerState[] = [];
    const merged = next.map((p) => {
      const kept = old.get(p.ip);
      if (kept !== undefined) {
        old.delete(p.ip);
        return kept;
      }
      added.push(p);
      return p;
    });
    if (added.length === 0 && old.size === 0) return;
    target.peers = merged;
    this.#options.onChange([...old.values()], added);
  }

  #peersFor(target: TargetState, ips: readonly string[]): PeerState[] {
    const unique = [...new Set(ips)].sort();
    return unique.map((ip) => new PeerState(ip, target.port, target.host, target.entity.id, target.key, target.entity.weight));
  }
}
