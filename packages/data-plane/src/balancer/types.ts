// The balancer's contract: one per upstream (or per plain service host), built per config, asked per try.
import type { IncomingHttpHeaders } from 'node:http';

/** An upstream entity as the Admin API shows it (fields the balancer reads). */
export interface UpstreamEntity {
  id: string;
  name: string;
  algorithm: 'round-robin' | 'consistent-hashing' | 'least-connections' | 'latency';
  hash_on: HashOn;
  hash_fallback: HashOn;
  hash_on_header?: string | null;
  hash_fallback_header?: string | null;
  hash_on_cookie?: string | null;
  hash_on_cookie_path: string;
  hash_on_query_arg?: string | null;
  hash_fallback_query_arg?: string | null;
  hash_on_uri_capture?: string | null;
  hash_fallback_uri_capture?: string | null;
  slots: number;
  healthchecks: Healthchecks;
  host_header?: string | null;
  [other: string]: unknown;
}

export type HashOn = 'none' | 'consumer' | 'ip' | 'header' | 'cookie' | 'path' | 'query_arg' | 'uri_capture';

export interface Healthchecks {
  threshold: number;
  active: {
    type: 'tcp' | 'http' | 'https' | 'grpc' | 'grpcs';
    timeout: number;
    concurrency: number;
    http_path: string;
    https_sni?: string | null;
    https_verify_certificate: boolean;
    headers?: Record<string, string[]> | null;
    healthy: { interval: number; http_statuses: number[]; successes: number };
    unhealthy: { interval: number; http_statuses: number[]; tcp_failures: number; timeouts: number; http_failures: number };
  };
  passive: {
    type: 'tcp' | 'http' | 'https' | 'grpc' | 'grpcs';
    healthy: { http_statuses: number[]; successes: number };
    unhealthy: { http_statuses: number[]; tcp_failures: number; timeouts: number; http_failures: number };
  };
}

export interface TargetEntity {
  id: string;
  /** `host:port` (normalised by the control plane; the port defaults to 8000). */
  target: string;
  weight: number;
  upstream: { id: string };
  [other: string]: unknown;
}

/** One address traffic can go to: a target, or one resolved address of a target's hostname. */
export interface Peer {
  /** `ip:port` (IPv6 in brackets): the key of the connection pool. */
  readonly address: string;
  readonly ip: string;
  readonly port: number;
  /** The target's hostname (for TLS SNI and the Host header), or the IP. */
  readonly hostname: string;
  /** The target entity this peer comes from. */
  readonly targetId: string;
  readonly weight: number;
}

/** What hashing can look at in a request; built lazily by the proxy only for hashing balancers. */
export interface BalancerInput {
  clientIp: string;
  headers: IncomingHttpHeaders;
  /** Normalised request path, no query. */
  path: string;
  /** Raw query string without `?` (may be empty). */
  query: string;
  consumerId?: string | undefined;
  uriCaptures?: Record<string, string> | null | undefined;
}

/** Shared between picks (the round-robin path allocates nothing): treat it as read-only. */
export interface PickResult {
  readonly peer: Peer;
  /** A `Set-Cookie` value to add to the response (cookie hashing with no cookie in the request). */
  readonly setCookie?: string;
}

/** How one try ended, for passive health checks and least-connections accounting. */
export type TryOutcome = { kind: 'response'; status: number } | { kind: 'tcp-error' } | { kind: 'timeout' };

export interface TargetHealth {
  id: string;
  target: string;
  weight: number;
  /** `HEALTHY`, `UNHEALTHY`, `DNS_ERROR` or `HEALTHCHECKS_OFF` as Kong reports them. */
  health: 'HEALTHY' | 'UNHEALTHY' | 'DNS_ERROR' | 'HEALTHCHECKS_OFF';
  addresses: Array<{ ip: string; port: number; health: 'HEALTHY' | 'UNHEALTHY' | 'HEALTHCHECKS_OFF'; weight: number }>;
}

export type SetHealthResult = 'ok' | 'no-healthchecker' | 'not-found';

export interface Balancer {
  /**
   * Picks a healthy peer, skipping `exclude` (addresses already tried by this request's retries) while
   * another healthy peer is left; when all are excluded it picks among them (Kong retries the same target
   * of a one-target upstream). Null when no peer is available or the upstream is below its health
   * threshold: the proxy answers 503 "failure to get a peer from the ring-balancer".
   * `input` is called only by hashing balancers; memoise it across retries so a generated hash cookie
   * stays the same (the cookie is remembered per input object).
   */
  pick(input: () => BalancerInput, exclude?: ReadonlySet<string>): PickResult | null;
  /** A try starts on `peer` (least-connections counts it). */
  started(peer: Peer): void;
  /** A try on `peer` ended (least-connections, passive health, latency EWMA). */
  finished(peer: Peer, outcome: TryOutcome, latencyMs: number): void;
  /** Per-target health for `/upstreams/{u}/health`. */
  health(): TargetHealth[];
  /** The upstream's overall health: some weight is available, and at least `threshold` percent of it. */
  readonly healthy: boolean;
  /**
   * Manually mark a target (by id or `host:port`), or one of its addresses (`ip` or `ip:port`), healthy or
   * unhealthy, as Kong's POST …/healthy|unhealthy. `no-healthchecker` when the upstream has no health
   * checks (Kong answers "no healthchecker found"), `not-found` when there is no such target or address.
   */
  setHealth(target: string, healthy: boolean, address?: string): SetHealthResult;
  /**
   * Settles once every hostname target has had its first DNS answer (or failure). Until then such targets
   * have no peers; IP targets, and hostnames the resolver has cached, are usable at once.
   */
  readonly ready: Promise<void>;
  /** True until `ready` settles: a pick that finds no peer now may find one after it. */
  readonly resolving: boolean;
  /** Stops probes and DNS timers. */
  close(): void;
}

/** One address a hostname resolved to. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
  ttlSeconds: number;
}

export interface Resolver {
  /** Resolves a hostname (cached until the TTL expires; concurrent calls share one query). Rejects on failure. */
  resolve(host: string): Promise<ResolvedAddress[]>;
  /** The last answer for `host` without querying, stale or not (ttlSeconds ≤ 0 when expired); for seeding new balancers. */
  cached?(host: string): ResolvedAddress[] | undefined;
}

/** What a balancer needs from outside; everything is optional so tests can inject. */
export interface BalancerDeps {
  /** Share one resolver per gateway so balancers rebuilt on a config change start from its cache. */
  resolver?: Resolver;
  /** Clock in ms (latency EWMA decay). Default `performance.now`. */
  now?: () => number;
  log?: (msg: string) => void;
  /** TLS material for https/grpcs active probes: CA bundle, client certificate (upstream mTLS). */
  probeTls?: ProbeTls;
  /** Floor under a record's TTL before re-resolving (s, default 1; TTL 0 means "re-resolve every second"). */
  dnsMinTtlSeconds?: number;
  /** Delay before retrying a failed resolution (s, default 30 as Kong's REQUERY_INTERVAL; never-resolved targets retry at most every 5 s). */
  dnsRetrySeconds?: number;
  /** The balancer this one replaces: addresses' health (and resolved addresses) carry over by `host:port` and ip. */
  previous?: Balancer;
}

export interface ProbeTls {
  ca?: string | Buffer | Array<string | Buffer>;
  cert?: string | Buffer;
  key?: string | Buffer;
}
