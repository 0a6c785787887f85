// Keep-alive connection pools, one per upstream address and connection settings, shared by every
// config generation so a config swap never drops warm connections.
import { Pool } from 'undici';
import type { Peer } from '../balancer/index.ts';
import type { ServiceTarget } from '../config/compile.ts';

export interface PoolOptions {
  /** Connections per upstream address. */
  connections: number;
  keepAliveTimeoutMs: number;
}

export class PoolRegistry {
  readonly #pools = new Map<string, Pool>();
  /** Per service target (a config object): peer address → pool, so the hot path does no string building. */
  readonly #byTarget = new WeakMap<ServiceTarget, Map<string, Pool>>();
  readonly #options: PoolOptions;

  constructor(options: Partial<PoolOptions> = {}) {
    this.#options = { connections: options.connections ?? 256, keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? 60_000 };
  }

  get(target: ServiceTarget, peer: Peer): Pool {
    let perTarget = this.#byTarget.get(target);
    if (perTarget === undefined) {
      perTarget = new Map();
      this.#byTarget.set(target, perTarget);
    }
    let pool = perTarget.get(peer.address);
    if (pool === undefined) {
      pool = this.#shared(target, peer);
      perTarget.set(peer.address, pool);
    }
    return pool;
  }

  #shared(target: ServiceTarget, peer: Peer): Pool {
    const servername = target.scheme === 'https' ? peer.hostname : '';
    const key = `${target.scheme}://${peer.address}#${target.connectTimeout}#${servername}#${target.tlsVerify}`;
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      pool = new Pool(`${target.scheme}://${peer.address}`, {
        connections: this.#options.connections,
        pipelining: 1,
        keepAliveTimeout: this.#options.keepAliveTimeoutMs,
        keepAliveMaxTimeout: this.#options.keepAliveTimeoutMs,
        // Timeouts are set per request from the service; these are only the pool's upper bounds.
        headersTimeout: 0,
        bodyTimeout: 0,
        connect: {
          timeout: target.connectTimeout,
          ...(target.scheme === 'https' ? { servername: servername === peer.ip ? undefined : servername, rejectUnauthorized: target.tlsVerify } : {}),
        },
      });
      this.#pools.set(key, pool);
    }
    return pool;
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.allSettled(pools.map((p) => p.close()));
  }

  destroy(): void {
    for (const p of this.#pools.values()) void p.destroy().catch(() => {});
    this.#pools.clear();
  }
}
