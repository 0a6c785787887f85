// A balancer for one upstream: targets and their DNS answers give peers, an algorithm picks among the
// healthy ones, passive and active checks decide "healthy", and the threshold gates the whole upstream.
import { activeEnabled, ActiveChecker } from './active-checker.ts';
import { type Algorithm, createAlgorithm } from './algorithm.ts';
import { defaultHealthchecks, defaultTarget, defaultUpstream } from './defaults.ts';
import { checksEnabled, HealthPolicy } from './health.ts';
import { formatAddress, PeerState } from './peer.ts';
import { createResolver } from './resolver.ts';
import { parseTarget, TargetSet } from './targets.ts';
import type { Balancer, BalancerDeps, BalancerInput, Peer, PickResult, SetHealthResult, TargetEntity, TargetHealth, TryOutcome, UpstreamEntity } from './types.ts';

/**
 * Builds the balancer for a Kong upstream and its targets. Build one per config; `close()` the one it replaces.
 * @example
 * const b = createUpstreamBalancer(upstream, targets, { resolver, log });
 * await b.ready;
 * const picked = b.pick(() => input, tried); // null → 503 "failure to get a peer from the ring-balancer"
 */
export function createUpstreamBalancer(upstream: UpstreamEntity, targets: readonly TargetEntity[], deps: BalancerDeps = {}): Balancer {
  return new UpstreamBalancer(upstream, targets, deps);
}

/**
 * The balancer for a service whose host is not an upstream name: one target, resolved like any other.
 * @example createHostBalancer('localhost', 8080, { resolver })
 */
export function createHostBalancer(host: string, port: number, deps: BalancerDeps = {}): Balancer {
  const key = formatAddress(host, port);
  return new UpstreamBalancer(defaultUpstream({ id: key, name: host }), [defaultTarget(key, 100, key)], deps);
}

class UpstreamBalancer implements Balancer {
  readonly ready: Promise<void>;
  resolving = true;
  readonly #name: string;
  readonly #algorithm: Algorithm;
  readonly #targets: TargetSet;
  /** Null when the upstream has no health checks (every peer is always healthy). */
  readonly #policy: HealthPolicy | null;
  readonly #active: ActiveChecker | null;
  readonly #threshold: number;
  readonly #log: (msg: string) => void;
  #peers: PeerState[] = [];
  #healthy = false;

  constructor(upstream: UpstreamEntity, targets: readonly TargetEntity[], deps: BalancerDeps) {
    this.#name = upstream.name;
    this.#log = deps.log ?? (() => {});
    this.#algorithm = createAlgorithm(upstream, deps.now ?? (() => performance.now()));
    const hc = upstream.healthchecks ?? defaultHealthchecks();
    this.#threshold = hc.threshold ?? 0;
    this.#policy = checksEnabled(hc) ? new HealthPolicy(hc) : null;
    this.#active =
      this.#policy !== null && activeEnabled(hc.active)
        ? new ActiveChecker({
            config: hc.active,
            policy: this.#policy,
            hostHeader: (peer) => upstream.host_header ?? peer.hostname,
            tls: deps.probeTls,
            onFlip: (peer, healthy) => this.#flipped(peer, healthy, 'active check'),
          })
        : null;
    const previous = deps.previous === undefined ? undefined : carryOver(deps.previous);
    this.#targets = new TargetSet(targets, {
      resolver: deps.resolver ?? createResolver(),
      log: this.#log,
      minTtlSeconds: deps.dnsMinTtlSeconds ?? 1,
      retrySeconds: deps.dnsRetrySeconds ?? 30,
      seed: previous?.addresses,
      onChange: (removed, added) => this.#peersChanged(removed, added),
    });
    for (const target of this.#targets.targets) {
      for (const peer of target.peers) {
        if (this.#policy !== null && previous?.unhealthy.has(`${target.key} ${peer.address}`)) peer.healthy = false;
      }
    }
    this.#peersChanged([], this.#targets.targets.flatMap((t) => t.peers));
    this.ready = this.#targets.ready;
    const resolved = () => void (this.resolving = false);
    this.ready.then(resolved, resolved);
  }

  get healthy(): boolean {
    return this.#healthy;
  }

  pick(input: () => BalancerInput, exclude?: ReadonlySet<string>): PickResult | null {
    if (!this.#healthy) return null;
    const picked = this.#algorithm.pick(input, exclude);
    if (picked !== null || exclude === undefined || exclude.size === 0) return picked;
    return this.#algorithm.pick(input, undefined);
  }

  started(peer: Peer): void {
    if (peer instanceof PeerState) peer.inflight++;
  }

  finished(peer: Peer, outcome: TryOutcome, latencyMs: number): void {
    if (!(peer instanceof PeerState)) return;
    if (peer.inflight > 0) peer.inflight--;
    this.#algorithm.observe?.(peer, outcome, latencyMs);
    if (this.#policy === null) return;
    const flipped = this.#policy.passive(peer, outcome);
    if (flipped !== undefined) this.#flipped(peer, flipped, 'passive check');
  }

  health(): TargetHealth[] {
    const on = this.#policy !== null;
    return this.#targets.targets.map((t) => {
      const addresses = t.peers.map((p) => ({
        ip: p.ip,
        port: p.port,
        health: !on ? ('HEALTHCHECKS_OFF' as const) : p.healthy ? ('HEALTHY' as const) : ('UNHEALTHY' as const),
        weight: p.weight,
      }));
      // Kong (kong/db/dao/targets.lua): any healthy address makes the target healthy; no address is a DNS error.
      const health =
        addresses.length === 0 ? 'DNS_ERROR' : !on ? 'HEALTHCHECKS_OFF' : addresses.some((a) => a.health === 'HEALTHY') ? 'HEALTHY' : 'UNHEALTHY';
      return { id: t.entity.id, target: t.entity.target, weight: t.entity.weight, health, addresses };
    });
  }

  setHealth(target: string, healthy: boolean, address?: string): SetHealthResult {
    if (this.#policy === null) return 'no-healthchecker';
    const t = this.#targets.targets.find((x) => x.entity.id === target || x.entity.target === target || x.key === target);
    if (t === undefined) return 'not-found';
    let peers = t.peers;
    if (address !== undefined) {
      const { ip, port } = parseAddress(address);
      peers = peers.filter((p) => p.ip === ip && (port === undefined || p.port === port));
    }
    if (peers.length === 0) return 'not-found';
    for (const peer of peers) {
      const changed = peer.healthy !== healthy;
      peer.healthy = healthy;
      peer.resetCounters();
      if (changed) {
        this.#log(`balancer: upstream ${this.#name}: ${peer.address} (${peer.target}) set ${healthy ? 'healthy' : 'unhealthy'} by hand`);
        this.#active?.healthChanged(peer);
      }
    }
    this.#recount();
    return 'ok';
  }

  close(): void {
    this.#targets.close();
    this.#active?.close();
  }

  #peersChanged(removed: readonly PeerState[], added: readonly PeerState[]): void {
    for (const peer of removed) this.#active?.unwatch(peer);
    for (const peer of added) if (peer.weight > 0) this.#active?.watch(peer);
    // Weight 0 means "no traffic": such peers are listed in health() but never balanced or probed.
    this.#peers = this.#targets.targets.flatMap((t) => t.peers.filter((p) => p.weight > 0));
    this.#algorithm.rebuild(this.#peers);
    this.#recount();
  }

  #flipped(peer: PeerState, healthy: boolean, by: string): void {
    this.#log(`balancer: upstream ${this.#name}: ${peer.address} (${peer.target}) is now ${healthy ? 'healthy' : 'unhealthy'} (${by})`);
    this.#active?.healthChanged(peer);
    this.#recount();
  }

  /**
   * The upstream is healthy while at least `threshold` percent of the weight is available. Kong's code
   * says "more than", which makes threshold 100 unreachable; its docs say "minimum percentage".
   */
  #recount(): void {
    let total = 0;
    let available = 0;
    for (const peer of this.#peers) {
      total += peer.weight;
      if (peer.healthy) available += peer.weight;
    }
    const healthy = available > 0 && available * 100 >= this.#threshold * total;
    if (healthy !== this.#healthy && total > 0) this.#log(`balancer: upstream ${this.#name} is now ${healthy ? 'healthy' : 'unhealthy'}`);
    this.#healthy = healthy;
  }
}

/** `ip`, `ip:port`, `[v6]` or `[v6]:port`; the port is undefined when absent. */
function parseAddress(address: string): { ip: string; port: number | undefined } {
  if (address.startsWith('[')) {
    const end = address.indexOf(']');
    const rest = address.slice(end + 1);
    return { ip: address.slice(1, end), port: rest.startsWith(':') ? Number(rest.slice(1)) : undefined };
  }
  const colon = address.indexOf(':');
  if (colon < 0 || address.indexOf(':', colon + 1) >= 0) return { ip: address, port: undefined };
  return { ip: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
}

/** What a replaced balancer knew: resolved addresses per hostname target, and which addresses were unhealthy. */
function carryOver(previous: Balancer): { addresses: Map<string, string[]>; unhealthy: Set<string> } {
  const addresses = new Map<string, string[]>();
  const unhealthy = new Set<string>();
  for (const t of previous.health()) {
    const { host, port } = parseTarget(t.target);
    const key = formatAddress(host, port);
    addresses.set(key, t.addresses.map((a) => a.ip));
    for (const a of t.addresses) if (a.health === 'UNHEALTHY') unhealthy.add(`${key} ${formatAddress(a.ip, a.port)}`);
  }
  return { addresses, unhealthy };
}
