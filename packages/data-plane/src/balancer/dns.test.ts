// Hostname targets: the resolver (stubbed DNS, plus one real OS lookup) and re-resolution in balancers.
import { describe, expect, it } from 'vitest';
import { createResolver, type DnsBackend } from './resolver.ts';
import { createHostBalancer, createUpstreamBalancer } from './upstream-balancer.ts';
import { healthchecks, input, StubResolver, tally, targets, upstream, waitFor } from './test-helpers.ts';
import type { Resolver } from './types.ts';

/** A DNS backend answering from tables, counting queries. */
function backend(tables: { a?: Record<string, string[]>; aaaa?: Record<string, string[]>; hosts?: Record<string, string[]>; ttl?: number }) {
  const calls: string[] = [];
  const answer = (kind: string, table: Record<string, string[]> | undefined, host: string) => {
    calls.push(`${kind} ${host}`);
    const found = table?.[host];
    if (found === undefined) return Promise.reject(Object.assign(new Error('nope'), { code: 'ENOTFOUND' }));
    return Promise.resolve(found.map((address) => ({ address, ttl: tables.ttl ?? 60 })));
  };
  const dns: DnsBackend = {
    resolve4: (host) => answer('A', tables.a, host),
    resolve6: (host) => answer('AAAA', tables.aaaa, host),
    lookup: (host) => answer('lookup', tables.hosts, host).then((list) => list.map((x) => ({ address: x.address, family: x.address.includes(':') ? 6 : 4 }))),
  };
  return { dns, calls };
}

describe('createResolver', () => {
  it('answers from DNS with the TTL, caches until it expires, and shares concurrent queries', async () => {
    let now = 0;
    const { dns, calls } = backend({ a: { 'api.test': ['10.0.0.2', '10.0.0.1'] }, ttl: 30 });
    const r = createResolver({ backend: dns, now: () => now });
    const [x, y] = await Promise.all([r.resolve('api.test'), r.resolve('api.test')]);
    expect(x).toEqual([
      { address: '10.0.0.2', family: 4, ttlSeconds: 30 },
      { address: '10.0.0.1', family: 4, ttlSeconds: 30 },
    ]);
    expect(y).toBe(x);
    now = 10_000;
    expect((await r.resolve('api.test'))[0]!.ttlSeconds).toBe(20);
    expect(calls).toEqual(['A api.test']);
    now = 31_000;
    expect(r.cached?.('api.test')?.[0]?.ttlSeconds).toBe(0); // stale, still there
    await r.resolve('api.test');
    expect(calls).toEqual(['A api.test', 'A api.test']);
  });

  it('tries AAAA when there is no A record, then the OS resolver, preferring IPv4', async () => {
    const { dns, calls } = backend({ aaaa: { v6: ['2001:db8::1'] }, hosts: { box: ['::1', '127.0.0.5'], 'x.localhost': ['127.0.0.9'] } });
    const r = createResolver({ backend: dns, lookupTtlSeconds: 7 });
    expect(await r.resolve('v6')).toEqual([{ address: '2001:db8::1', family: 6, ttlSeconds: 60 }]);
    expect(await r.resolve('box')).toEqual([{ address: '127.0.0.5', family: 4, ttlSeconds: 7 }]);
    // localhost names never go to DNS (RFC 6761).
    expect(await r.resolve('x.localhost')).toEqual([{ address: '127.0.0.9', family: 4, ttlSeconds: 7 }]);
    expect(calls).toEqual(['A v6', 'AAAA v6', 'A box', 'AAAA box', 'lookup box', 'lookup x.localhost']);
    await expect(r.resolve('missing.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    expect(await r.resolve('192.0.2.7')).toEqual([{ address: '192.0.2.7', family: 4, ttlSeconds: Infinity }]);
  });

  it('goes straight to the OS resolver when the DNS server is in trouble', async () => {
    const calls: string[] = [];
    const failing = (kind: string) => (host: string) => {
      calls.push(`${kind} ${host}`);
      return Promise.reject(Object.assign(new Error('timeout'), { code: 'ETIMEOUT' }));
    };
    const r = createResolver({
      backend: { resolve4: failing('A'), resolve6: failing('AAAA'), lookup: async (host) => (calls.push(`lookup ${host}`), [{ address: '10.1.1.1', family: 4 }]) },
    });
    expect((await r.resolve('svc.internal'))[0]!.address).toBe('10.1.1.1');
    expect(calls).toEqual(['A svc.internal', 'lookup svc.internal']);
  });

  it('resolves localhost through the OS', async () => {
    const answers = await createResolver().resolve('localhost');
    expect(answers.length).toBeGreaterThan(0);
    for (const a of answers) expect(['127.0.0.1', '::1']).toContain(a.address);
  });
});

describe('hostname targets', () => {
  it('balances over one peer per address, each with the target’s weight', async () => {
    const resolver = new StubResolver();
    resolver.set('api.test', ['10.0.0.2', '10.0.0.1']);
    const b = createUpstreamBalancer(upstream(), targets(['api.test:8080', 50], ['10.0.0.9:80', 100]), { resolver });
    expect(b.pick(() => input())!.peer.address).toBe('10.0.0.9:80'); // IP targets need no DNS
    await b.ready;
    expect(Object.fromEntries(tally(b, 200))).toEqual({ '10.0.0.1:8080': 50, '10.0.0.2:8080': 50, '10.0.0.9:80': 100 });
    expect(b.pick(() => input(), new Set(['10.0.0.9:80', '10.0.0.1:8080']))!.peer).toMatchObject({ hostname: 'api.test', ip: '10.0.0.2', weight: 50 });
    expect(b.health()[0]).toMatchObject({ health: 'HEALTHCHECKS_OFF', addresses: [{ ip: '10.0.0.1', port: 8080, weight: 50 }, { ip: '10.0.0.2' }] });
  });

  it('re-resolves in the background when the TTL runs out, keeping the state of addresses that stay', async () => {
    const resolver = new StubResolver();
    resolver.set('api.test', ['10.0.0.1', '10.0.0.2'], 0.05);
    const hc = healthchecks({ passive: { unhealthy: { tcp_failures: 1 } } });
    const b = createUpstreamBalancer(upstream({ healthchecks: hc }), targets(['api.test:80', 100]), { resolver, dnsMinTtlSeconds: 0.01 });
    await b.ready;
    b.setHealth('api.test:80', false, '10.0.0.1');
    resolver.set('api.test', ['10.0.0.1', '10.0.0.3'], 0.05);
    const calls = resolver.calls.length;
    for (let i = 0; i < 100; i++) b.pick(() => input());
    expect(resolver.calls.length).toBe(calls); // never on the request path
    await waitFor('new answer applied', () => b.health()[0]!.addresses.some((a) => a.ip === '10.0.0.3'));
    expect(b.health()[0]!.addresses).toEqual([
      { ip: '10.0.0.1', port: 80, health: 'UNHEALTHY', weight: 100 },
      { ip: '10.0.0.3', port: 80, health: 'HEALTHY', weight: 100 },
    ]);
    expect(new Set(tally(b, 10).keys())).toEqual(new Set(['10.0.0.3:80']));
    b.close();
  });

  it('keeps the last good addresses when a re-resolution fails', async () => {
    const resolver = new StubResolver();
    resolver.set('api.test', ['10.0.0.1'], 0.02);
    const b = createUpstreamBalancer(upstream(), targets(['api.test:80', 100]), { resolver, dnsMinTtlSeconds: 0.01, dnsRetrySeconds: 0.02 });
    await b.ready;
    resolver.set('api.test', new Error('SERVFAIL'));
    const calls = resolver.calls.length;
    await waitFor('two failed re-resolutions', () => resolver.calls.length >= calls + 2);
    expect(b.pick(() => input())!.peer.address).toBe('10.0.0.1:80');
    expect(b.health()[0]!.health).toBe('HEALTHCHECKS_OFF');
    b.close();
  });

  it('gives a target that never resolved no traffic (DNS_ERROR) until it does', async () => {
    const resolver = new StubResolver();
    const logs: string[] = [];
    const b = createUpstreamBalancer(upstream(), targets(['late.test:80', 100]), { resolver, dnsRetrySeconds: 0.02, log: (m) => logs.push(m) });
    await b.ready;
    expect(b.health()[0]).toMatchObject({ health: 'DNS_ERROR', addresses: [] });
    expect(b.pick(() => input())).toBeNull();
    expect(logs[0]).toMatch(/late\.test:80.*gets no traffic/);
    resolver.set('late.test', ['10.0.0.7']);
    await waitFor('resolved', () => b.pick(() => input()) !== null);
    expect(b.pick(() => input())!.peer.address).toBe('10.0.0.7:80');
    b.close();
  });

  it('starts from the resolver cache or the replaced balancer, before any answer arrives', async () => {
    const { dns } = backend({ a: { 'api.test': ['10.0.0.1'] } });
    const shared = createResolver({ backend: dns });
    await shared.resolve('api.test');
    const fromCache = createUpstreamBalancer(upstream(), targets(['api.test:80', 100]), { resolver: shared });
    expect(fromCache.pick(() => input())!.peer.address).toBe('10.0.0.1:80');

    const hanging: Resolver = { resolve: () => new Promise(() => {}) };
    const next = createUpstreamBalancer(upstream(), targets(['api.test:80', 100]), { resolver: hanging, previous: fromCache });
    expect(next.pick(() => input())!.peer.address).toBe('10.0.0.1:80');
    fromCache.close();
    next.close();
  });
});

describe('createHostBalancer', () => {
  it('uses an IP literal as is', () => {
    const resolver = new StubResolver();
    const v4 = createHostBalancer('192.0.2.10', 8080, { resolver });
    expect(v4.pick(() => input())!.peer).toMatchObject({ address: '192.0.2.10:8080', hostname: '192.0.2.10', port: 8080 });
    expect(createHostBalancer('::1', 443, { resolver }).pick(() => input())!.peer.address).toBe('[::1]:443');
    expect(resolver.calls).toEqual([]);
  });

  it('resolves localhost through the OS resolver', async () => {
    const b = createHostBalancer('localhost', 8001);
    await b.ready;
    const peer = b.pick(() => input())!.peer;
    expect(['127.0.0.1:8001', '[::1]:8001']).toContain(peer.address);
    expect(peer.hostname).toBe('localhost');
    expect(b.health()).toMatchObject([{ target: 'localhost:8001', health: 'HEALTHCHECKS_OFF' }]);
    b.close();
  });
});
