// Hostname resolution for balancers: DNS A (then AAAA) with TTLs, falling back to the OS resolver
// (getaddrinfo: /etc/hosts, mDNS…) for names DNS does not answer; answers cached until their TTL.
import dns from 'node:dns';
import net from 'node:net';
import type { ResolvedAddress, Resolver } from './types.ts';

type Family = 4 | 6;

const NO_RECORD: ReadonlySet<string> = new Set([dns.NODATA, dns.NOTFOUND]);

/** The node:dns calls the resolver makes (tests may swap them). */
export interface DnsBackend {
  resolve4(host: string): Promise<Array<{ address: string; ttl: number }>>;
  resolve6(host: string): Promise<Array<{ address: string; ttl: number }>>;
  lookup(host: string): Promise<Array<{ address: string; family: number }>>;
}

export interface ResolverOptions {
  /** TTL given to OS-resolver answers, which carry none (s, default 30). */
  lookupTtlSeconds?: number;
  /** Families in order of preference; the first with addresses wins (Kong's dns_order: A before AAAA). */
  order?: Family[];
  /** DNS servers (`ip` or `ip:port`); default the system's. */
  servers?: string[];
  /** Per-query timeout (ms, default 2000) and tries (default 2) for DNS queries. */
  timeoutMs?: number;
  tries?: number;
  now?: () => number;
  backend?: DnsBackend;
}

interface Entry {
  answers: ResolvedAddress[];
  expiresAt: number;
}

/**
 * A caching resolver; share one per gateway.
 * @example const resolver = createResolver(); await resolver.resolve('localhost') // [{ address: '127.0.0.1', family: 4, ttlSeconds: 30 }]
 */
export function createResolver(options: ResolverOptions = {}): Resolver {
  const now = options.now ?? Date.now;
  const lookupTtl = options.lookupTtlSeconds ?? 30;
  const order = options.order ?? [4, 6];
  const backend = options.backend ?? nodeBackend(options);
  const cache = new Map<string, Entry>();
  const inflight = new Map<string, Promise<ResolvedAddress[]>>();

  const withTtl = (entry: Entry): ResolvedAddress[] => {
    const ttlSeconds = Math.max(0, (entry.expiresAt - now()) / 1000);
    return entry.answers.map((a) => ({ ...a, ttlSeconds }));
  };

  const query = async (host: string): Promise<ResolvedAddress[]> => {
    // RFC 6761 §6.3: localhost names are answered locally, never sent to DNS.
    const localOnly = host === 'localhost' || host.endsWith('.localhost');
    if (!localOnly) {
      for (const family of order) {
        let records: Array<{ address: string; ttl: number }>;
        try {
          records = await (family === 4 ? backend.resolve4(host) : backend.resolve6(host));
        } catch (err) {
          // "No such record" may be answered by the next family; a server in trouble will not do better.
          if (NO_RECORD.has((err as { code?: string }).code ?? '')) continue;
          break;
        }
        if (records.length > 0) return records.map((r) => ({ address: r.address, family, ttlSeconds: r.ttl }));
      }
    }
    const found = await backend.lookup(host);
    for (const family of order) {
      const picked = found.filter((a) => a.family === family);
      if (picked.length > 0) return picked.map((a) => ({ address: a.address, family, ttlSeconds: lookupTtl }));
    }
    throw Object.assign(new Error(`${host}: no addresses`), { code: 'ENOTFOUND' });
  };

  return {
    resolve(host: string): Promise<ResolvedAddress[]> {
      const family = net.isIP(host);
      if (family !== 0) return Promise.resolve([{ address: host, family: family as Family, ttlSeconds: Number.POSITIVE_INFINITY }]);
      const entry = cache.get(host);
      if (entry !== undefined && entry.expiresAt > now()) return Promise.resolve(withTtl(entry));
      let pending = inflight.get(host);
      if (pending === undefined) {
        pending = query(host)
          .then((answers) => {
            const ttl = Math.min(...answers.map((a) => a.ttlSeconds));
            cache.set(host, { answers, expiresAt: now() + ttl * 1000 });
            return answers;
          })
          .finally(() => inflight.delete(host));
        inflight.set(host, pending);
      }
      return pending;
    },
    cached(host: string): ResolvedAddress[] | undefined {
      const entry = cache.get(host);
      return entry === undefined ? undefined : withTtl(entry);
    },
  };
}

function nodeBackend(options: ResolverOptions): DnsBackend {
  const resolver = new dns.promises.Resolver({ timeout: options.timeoutMs ?? 2000, tries: options.tries ?? 2 });
  if (options.servers !== undefined) resolver.setServers(options.servers);
  return {
    resolve4: (host) => resolver.resolve4(host, { ttl: true }),
    resolve6: (host) => resolver.resolve6(host, { ttl: true }),
    lookup: (host) => dns.promises.lookup(host, { all: true }),
  };
}
