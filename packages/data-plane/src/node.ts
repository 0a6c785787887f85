// A data plane: proxy listeners plus the config in force. `apply()` builds a new config off the
// request path and swaps it in atomically; a config that fails to build never replaces the current one.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { CounterStore, Logger } from '@tollgate/plugin-sdk';
import { createResolver, type BalancerDeps, type SetHealthResult } from './balancer/index.ts';
import { ClientTrust, type RealIpSettings } from './proxy/real-ip.ts';
import { KongHeaders } from './proxy/kong-headers.ts';
import type { TargetHealth } from './balancer/index.ts';
import { compileConfig, type RuntimeConfig } from './config/compile.ts';
import type { ConfigSnapshot } from './config/snapshot.ts';
import { MemoryCounterStore } from './plugins/counters.ts';
import type { PluginRegistry } from './plugins/registry.ts';
import { ProxyHandler } from './proxy/handler.ts';
import { PoolRegistry } from './proxy/pools.ts';
import type { PemPair } from './tls/self-signed.ts';

export interface ListenAddress {
  host: string;
  port: number;
  tls: boolean;
}

export interface DataPlaneOptions {
  plugins: PluginRegistry;
  listen: readonly ListenAddress[];
  /** Served when no SNI entity matches (and to clients that send no SNI). */
  defaultCertificate?: PemPair;
  log: Logger;
  balancer?: BalancerDeps;
  /** Upstream connections per target address. */
  upstreamConnections?: number;
  /**
   * The node-wide counters plugins see as `ctx.counters`. Default: this process's memory; clustered
   * workers pass a RemoteCounterStore so all of a node's workers share one count.
   */
  counters?: CounterStore;
  /**
   * Who may name the client (Kong's trusted_ips, real_ip_header, real_ip_recursive). Default: nobody;
   * the connecting address is the client and X-Forwarded-* headers are replaced.
   */
  realIp?: RealIpSettings;
  /**
   * Kong's headers to add, as kong.conf's `headers` and `headers_upstream` token lists (default:
   * server_tokens, latency_tokens, X-Kong-Request-Id; and X-Kong-Request-Id). Throws on an unknown token.
   */
  headers?: readonly string[];
  headersUpstream?: readonly string[];
  /**
   * kong.conf `error_default_type`: the format of the gateway's error bodies for a request whose
   * Accept and Content-Type name none (text/plain, application/json, text/html, application/xml;
   * default text/plain, as Kong). Throws on another value.
   */
  errorDefaultType?: string;
}

/** One upstream's health, for metrics and the Admin API (see `DataPlane.upstreamHealth`). */
export interface UpstreamHealth {
  /** The upstream's id. */
  readonly id: string;
  /** Its name (the id when it has none). */
  readonly upstream: string;
  readonly targets: readonly TargetHealth[];
}

export type ApplyResult = { ok: true; version: number; warnings: readonly string[]; ms: number } | { ok: false; error: string };

/** node:http settings of the proxy listeners. */
const SERVER_OPTIONS = {
  keepAliveTimeout: 60_000,
  // A request without Content-Length or Transfer-Encoding has no body (RFC 9112 6.3): node then skips
  // the body stream's life cycle ('data', 'end', 'close'), ~7% of a proxied GET's CPU. Reading such a
  // body (`ctx.request.body()`) still ends at once, empty.
  optimizeEmptyRequests: true,
} as const;

export class DataPlane {
  readonly #options: DataPlaneOptions;
  readonly #pools: PoolRegistry;
  readonly #handler: ProxyHandler;
  readonly #servers: Array<{ server: Server; address: ListenAddress }> = [];
  #config: RuntimeConfig | undefined;
  readonly #balancerDeps: BalancerDeps;

  constructor(options: DataPlaneOptions) {
    this.#options = options;
    // One DNS cache for every balancer of every config generation.
    this.#balancerDeps = { resolver: createResolver(), log: (m) => options.log.info(m), ...options.balancer };
    this.#pools = new PoolRegistry({ connections: options.upstreamConnections ?? 256 });
    const trusted = options.realIp?.trustedIps ?? [];
    this.#handler = new ProxyHandler({
      config: () => this.#config,
      pools: this.#pools,
      log: options.log,
      counters: options.counters ?? new MemoryCounterStore(),
      clientTrust: trusted.length > 0 ? new ClientTrust(options.realIp!) : undefined,
      headers: new KongHeaders(options.headers, options.headersUpstream, options.errorDefaultType),
    });
  }

  get config(): RuntimeConfig | undefined {
    return this.#config;
  }

  /** Each upstream of the config in force (by name) with its targets' health, as `/upstreams/{u}/health` shows it. */
  upstreamHealth(): UpstreamHealth[] {
    const config = this.#config;
    if (config === undefined) return [];
    const out: UpstreamHealth[] = [];
    for (const [id, balancer] of config.upstreamBalancers) {
      out.push({ id, upstream: String(config.entities.get('upstreams', id)?.['name'] ?? id), targets: balancer.health() });
    }
    return out;
  }

  /**
   * Kong's POST /upstreams/{u}/targets/{t}[/{address}]/healthy|unhealthy on this proxy's balancer:
   * the target by id or `host:port`, the address as `ip` or `ip:port`.
   */
  setTargetHealth(upstreamId: string, target: string, healthy: boolean, address?: string): SetHealthResult {
    return this.#config?.upstreamBalancers.get(upstreamId)?.setHealth(target, healthy, address) ?? 'not-found';
  }

  /**
   * Runs plugin `name`'s `control` command (see PluginDefinition.control) on its instances in the config
   * in force. Undefined when the plugin is not installed here or has no such command.
   */
  pluginControl(name: string, command: string, args: Readonly<Record<string, string>>): unknown | Promise<unknown> {
    const def = this.#options.plugins.get(name);
    if (def?.control === undefined) return undefined;
    return def.control(command, args, this.#config?.plugins.instances(name) ?? []);
  }

  /** The stored `config` of every enabled instance of plugin `name` in the config in force. */
  pluginConfigs(name: string): Array<Readonly<Record<string, unknown>>> {
    const plugins = this.#config?.entities.list('plugins', 'name', name) ?? [];
    return plugins.filter((p) => p['enabled'] !== false).map((p) => (p['config'] ?? {}) as Readonly<Record<string, unknown>>);
  }

  /** Builds `snapshot` and swaps it in; on any failure the current config stays in force. */
  apply(snapshot: ConfigSnapshot): ApplyResult {
    const started = performance.now();
    let next: RuntimeConfig;
    try {
      next = compileConfig(snapshot, { plugins: this.#options.plugins, balancer: this.#balancerDeps, previous: this.#config });
    } catch (err) {
      this.#options.log.error('config rejected; keeping the current one', { error: (err as Error).message });
      return { ok: false, error: (err as Error).message };
    }
    const previous = this.#config;
    this.#config = next;
    previous?.dispose(next);
    for (const w of next.warnings) this.#options.log.warn(w);
    return { ok: true, version: next.version, warnings: next.warnings, ms: performance.now() - started };
  }

  async listen(): Promise<AddressInfo[]> {
    const out: AddressInfo[] = [];
    for (const address of this.#options.listen) {
      const server = address.tls ? this.#httpsServer() : createHttpServer(SERVER_OPTIONS);
      const scheme = address.tls ? 'https' : 'http';
      server.on('request', (req: IncomingMessage, res: ServerResponse) => this.#handler.handle(req, res, scheme));
      server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => this.#handler.upgrade(req, socket, head, scheme));
      server.on('clientError', (_err, socket) => {
        if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
        else socket.destroy();
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(address.port, address.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      this.#servers.push({ server, address });
      out.push(server.address() as AddressInfo);
    }
    return out;
  }

  #httpsServer(): Server {
    const fallback = this.#options.defaultCertificate;
    if (fallback === undefined) throw new Error('a TLS listener needs a default certificate');
    return createHttpsServer({
      ...SERVER_OPTIONS,
      cert: fallback.cert,
      key: fallback.key,
      SNICallback: (servername, cb) => {
        try {
          cb(null, this.#config?.certificates.contextFor(servername));
        } catch (err) {
          cb(err as Error);
        }
      },
    });
  }

  /** Stops accepting, lets requests in flight finish (up to `drainMs`), then closes everything. */
  async close(drainMs = 10_000): Promise<void> {
    const closing = this.#servers.map(
      ({ server }) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        }),
    );
    const idle = setInterval(() => this.#servers.forEach(({ server }) => server.closeIdleConnections()), 100);
    const deadline = setTimeout(() => this.#servers.forEach(({ server }) => server.closeAllConnections()), drainMs);
    await Promise.all(closing);
    clearInterval(idle);
    clearTimeout(deadline);
    this.#config?.dispose(undefined);
    await this.#pools.close();
  }
}
