// Turns a config snapshot into what the proxy uses per request: the router, a target per route
// (service, balancer, plugin chain), certificates by SNI. Everything is decided here, once per config.
import type { EntityRecord } from '@tollgate/schema';
import { createHostBalancer, createUpstreamBalancer, type Balancer, type BalancerDeps, type TargetEntity, type UpstreamEntity } from '../balancer/index.ts';
import { PluginIndex, EMPTY_CHAIN, type PluginChain } from '../plugins/chain.ts';
import type { PluginRegistry } from '../plugins/registry.ts';
import { buildRouter, type RouteEntity, type Router } from '../router/index.ts';
import { EntityIndex } from './entity-index.ts';
import type { ConfigSnapshot } from './snapshot.ts';
import { CertificateIndex } from './certificates.ts';

/** How to reach a service: resolved once per config. */
export interface ServiceTarget {
  readonly entity: EntityRecord;
  readonly id: string;
  readonly name: string | undefined;
  readonly scheme: 'http' | 'https';
  readonly balancer: Balancer;
  /** The upstream's host_header, when the service points at an upstream that sets one. */
  readonly hostHeader: string | undefined;
  /** Host header value when not preserving the client's: host[:port unless default]. */
  readonly defaultHost: string;
  /**
   * Backed by an upstream: the Host is set per try from the picked target, as Kong's set_host_header:
   * the upstream's host_header or else the target's name, with the target's port unless the default.
   */
  readonly hostFromPeer: boolean;
  readonly path: string | null;
  readonly connectTimeout: number;
  readonly readTimeout: number;
  readonly writeTimeout: number;
  readonly retries: number;
  readonly tlsVerify: boolean;
}

export interface RouteTarget {
  readonly route: RouteEntity;
  readonly service: ServiceTarget | undefined;
  readonly chain: PluginChain;
  /** Set when a plugin configured for this route is missing on this data plane: the route answers 500. */
  readonly blocked: string | undefined;
  /**
   * The route takes https (or wss, grpcs) and not http (ws, grpc): a plain-http request is answered
   * with https_redirect_status_code. As in Kong, a route without https still takes https requests.
   */
  readonly httpsOnly: boolean;
}

export interface RuntimeConfig {
  readonly version: number;
  readonly router: Router<RouteEntity>;
  readonly routes: ReadonlyMap<string, RouteTarget>;
  /** Global plugins: rewrite phase, and log for requests no route matched. */
  readonly globalChain: PluginChain;
  readonly certificates: CertificateIndex;
  readonly entities: EntityIndex;
  readonly balancers: ReadonlyMap<string, Balancer>;
  /** The same balancers by upstream id, for /upstreams/{u}/health and for carrying health across changes. */
  readonly upstreamBalancers: ReadonlyMap<string, Balancer>;
  /** Entities that could not be used, with the reason (reported, never silently dropped). */
  readonly warnings: readonly string[];
  /** The plugin instances in force, with prepared configs (for plugins' `control` commands). */
  readonly plugins: PluginIndex;
  /** Balancers this config created and the next one did not take over are closed here. */
  dispose(next: RuntimeConfig | undefined): void;
}

export interface CompileDeps {
  plugins: PluginRegistry;
  balancer?: BalancerDeps;
  previous?: RuntimeConfig | undefined;
}

const DEFAULT_PORT: Record<string, number> = { http: 80, https: 443 };

function fingerprint(upstream: EntityRecord, targets: readonly EntityRecord[]): string {
  return JSON.stringify([upstream, [...targets].sort((a, b) => (a.id < b.id ? -1 : 1)).map((t) => [t['target'], t['weight']])]);
}

export function compileConfig(snapshot: ConfigSnapshot, deps: CompileDeps): RuntimeConfig {
  const e = snapshot.entities;
  const warnings: string[] = [];
  const previous = deps.previous?.balancers ?? new Map<string, Balancer>();
  const previousByUpstream = deps.previous?.upstreamBalancers ?? new Map<string, Balancer>();
  const balancers = new Map<string, Balancer>();
  const upstreamBalancers = new Map<string, Balancer>();
  const takeBalancer = (key: string, make: () => Balancer): Balancer => {
    const existing = balancers.get(key) ?? previous.get(key);
    const b = existing ?? make();
    balancers.set(key, b);
    return b;
  };

  // Upstreams by name, with their targets.
  const targetsByUpstream = new Map<string, EntityRecord[]>();
  for (const t of e.targets ?? []) {
    const id = (t['upstream'] as { id: string }).id;
    const list = targetsByUpstream.get(id);
    if (list === undefined) targetsByUpstream.set(id, [t]);
    else list.push(t);
  }
  const upstreamsByName = new Map<string, { entity: EntityRecord; key: string; targets: EntityRecord[] }>();
  for (const u of e.upstreams ?? []) {
    const targets = targetsByUpstream.get(u.id) ?? [];
    upstreamsByName.set(u['name'] as string, { entity: u, key: `upstream:${fingerprint(u, targets)}`, targets });
  }

  // A changed upstream keeps its targets' health verdicts from the balancer it replaces.
  const upstreamBalancer = (upstream: { entity: EntityRecord; key: string; targets: EntityRecord[] }): Balancer =>
    takeBalancer(upstream.key, () =>
      createUpstreamBalancer(upstream.entity as unknown as UpstreamEntity, upstream.targets as unknown as TargetEntity[], { ...deps.balancer, previous: previousByUpstream.get(upstream.entity.id) }),
    );

  const services = new Map<string, ServiceTarget>();
  const enabledServices = new Set<string>();
  for (const s of e.services ?? []) {
    if (s['enabled'] === false) continue;
    enabledServices.add(s.id);
    const protocol = s['protocol'] as string;
    const scheme = protocol === 'https' || protocol === 'wss' || protocol === 'grpcs' ? 'https' : 'http';
    const host = s['host'] as string;
    const port = s['port'] as number;
    const upstream = upstreamsByName.get(host);
    let balancer: Balancer;
    try {
      balancer =
        upstream !== undefined
          ? upstreamBalancer(upstream)
          : takeBalancer(`host:${host}:${port}`, () => createHostBalancer(host, port, deps.balancer));
    } catch (err) {
      warnings.push(`service '${(s['name'] as string | null) ?? s.id}': ${(err as Error).message}`);
      continue;
    }
    if (upstream !== undefined) upstreamBalancers.set(upstream.entity.id, balancer);
    services.set(s.id, {
      entity: s,
      id: s.id,
      name: (s['name'] as string | null) ?? undefined,
      scheme,
      balancer,
      hostHeader: (upstream?.entity['host_header'] as string | null) ?? undefined,
      defaultHost: port === DEFAULT_PORT[scheme] ? host : `${host}:${port}`,
      hostFromPeer: upstream !== undefined,
      path: (s['path'] as string | null) ?? null,
      connectTimeout: s['connect_timeout'] as number,
      readTimeout: s['read_timeout'] as number,
      writeTimeout: s['write_timeout'] as number,
      retries: s['retries'] as number,
      tlsVerify: s['tls_verify'] === true,
    });
  }

  const plugins = new PluginIndex(e.plugins ?? [], deps.plugins, enabledServices);
  warnings.push(...plugins.errors);

  const routes = new Map<string, RouteTarget>();
  const routable: RouteEntity[] = [];
  for (const r of (e.routes ?? []) as unknown as RouteEntity[]) {
    const serviceId = r.service?.id;
    // Kong leaves out routes of disabled services.
    if (serviceId !== undefined && !enabledServices.has(serviceId)) continue;
    const protocols = r.protocols;
    routes.set(r.id, {
      route: r,
      service: serviceId === undefined ? undefined : services.get(serviceId),
      chain: plugins.chainFor(r.id, serviceId),
      blocked: plugins.missingFor(r.id, serviceId),
      httpsOnly: (protocols.includes('https') || protocols.includes('wss') || protocols.includes('grpcs')) && !(protocols.includes('http') || protocols.includes('ws') || protocols.includes('grpc')),
    });
    routable.push(r);
  }
  // As Kong, every upstream is balanced (and health-checked), also one no service uses yet: its
  // targets' health is then known before traffic arrives, and /upstreams/{u}/health reports it.
  for (const upstream of upstreamsByName.values()) {
    if (upstreamBalancers.has(upstream.entity.id)) continue;
    try {
      upstreamBalancers.set(upstream.entity.id, upstreamBalancer(upstream));
    } catch (err) {
      warnings.push(`upstream '${upstream.entity['name'] as string}': ${(err as Error).message}`);
    }
  }
  const router = buildRouter(routable);
  for (const err of router.errors) warnings.push(err.message);

  const globalChain = plugins.chainFor(undefined, undefined);
  const config: RuntimeConfig = {
    version: snapshot.version,
    router,
    routes,
    globalChain: globalChain.entries.length === 0 ? EMPTY_CHAIN : globalChain,
    certificates: new CertificateIndex(e.certificates ?? [], e.snis ?? []),
    entities: new EntityIndex(snapshot),
    balancers,
    upstreamBalancers,
    plugins,
    warnings,
    dispose(next) {
      for (const [key, b] of balancers) if (next?.balancers.get(key) !== b) b.close();
    },
  };
  return config;
}
