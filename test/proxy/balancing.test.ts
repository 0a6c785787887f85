// Load balancing over an upstream entity's targets, seen from the client: weighted round-robin,
// weight 0, consistent hashing on a header and on a cookie, and least-connections.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy, type ProxyHarness } from '../support/proxy.ts';
import { rawRequest, startUpstream, waitFor, type RawReply, type Upstream } from '../support/upstream.ts';

/** Which upstream server answered (each echoes its name in `x-upstream`). */
function servedBy(res: RawReply): string {
  expect(res.status).toBe(200);
  return res.headers['x-upstream'] as string;
}

function tally(names: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of names) out[n] = (out[n] ?? 0) + 1;
  return out;
}

describe('load balancing over upstream targets', () => {
  let a: Upstream;
  let b: Upstream;
  let c: Upstream;
  let proxy: ProxyHarness;
  const target = (up: Upstream, weight?: number) => ({ target: `127.0.0.1:${up.port}`, ...(weight === undefined ? {} : { weight }) });

  beforeAll(async () => {
    [a, b, c] = await Promise.all([startUpstream('a'), startUpstream('b'), startUpstream('c')]);
    proxy = await startProxy({
      _format_version: '3.0',
      upstreams: [
        { name: 'weighted', targets: [target(a, 2), target(b, 1), target(c, 1)] },
        { name: 'drained', targets: [target(a, 100), target(b, 0), target(c, 100)] },
        { name: 'by-user', hash_on: 'header', hash_on_header: 'x-user', targets: [target(a), target(b), target(c)] },
        { name: 'sticky', hash_on: 'cookie', hash_on_cookie: 'tg-sticky', hash_on_cookie_path: '/sticky', targets: [target(a), target(b), target(c)] },
        { name: 'least', algorithm: 'least-connections', targets: [target(a), target(b)] },
        { name: 'named', host_header: 'api.internal', targets: [target(a)] },
      ],
      services: [
        { name: 'weighted', host: 'weighted', routes: [{ paths: ['/weighted'] }] },
        { name: 'drained', host: 'drained', routes: [{ paths: ['/drained'] }] },
        { name: 'by-user', host: 'by-user', routes: [{ paths: ['/by-user'] }] },
        { name: 'sticky', host: 'sticky', routes: [{ paths: ['/sticky'] }] },
        { name: 'least', host: 'least', read_timeout: 10_000, routes: [{ paths: ['/least'] }] },
        { name: 'named', host: 'named', routes: [{ paths: ['/named'] }] },
      ],
    });
  });
  afterAll(async () => {
    await proxy.close();
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  it("sends the upstream's host_header as Host, with the target's port when it is not the default (Kong's set_host_header)", async () => {
    const res = await rawRequest(`${proxy.url}/named/x`);
    expect((JSON.parse(res.body) as { headers: Record<string, string> }).headers['host']).toBe(`api.internal:${a.port}`);
  });

  it('round-robin follows the weights (2:1:1 over 40 requests)', async () => {
    const names: string[] = [];
    for (let i = 0; i < 40; i++) names.push(servedBy(await rawRequest(`${proxy.url}/weighted/${i}`)));
    expect(tally(names)).toEqual({ a: 20, b: 10, c: 10 });
    // Interleaved, not in runs: every window of 4 consecutive picks holds a twice and b and c once.
    for (let i = 0; i + 4 <= names.length; i += 4) expect(tally(names.slice(i, i + 4))).toEqual({ a: 2, b: 1, c: 1 });
  });

  it('sends nothing to a target of weight 0', async () => {
    const names: string[] = [];
    for (let i = 0; i < 20; i++) names.push(servedBy(await rawRequest(`${proxy.url}/drained`)));
    expect(tally(names)).toEqual({ a: 10, c: 10 });
  });

  it('consistent hashing on a header keeps each key on one target and spreads the keys', async () => {
    const placement = new Map<string, Set<string>>();
    for (let round = 0; round < 5; round++) {
      for (let u = 0; u < 20; u++) {
        const user = `user-${u}`;
        const name = servedBy(await rawRequest(`${proxy.url}/by-user/${round}`, { headers: { 'x-user': user } }));
        let seen = placement.get(user);
        if (seen === undefined) placement.set(user, (seen = new Set()));
        seen.add(name);
      }
    }
    for (const [user, names] of placement) expect([user, names.size]).toEqual([user, 1]);
    const used = new Set([...placement.values()].map((s) => [...s][0]));
    expect(used.size).toBeGreaterThan(1);
  });

  it('consistent hashing on a cookie sets the cookie when absent and then sticks to one target', async () => {
    const first = await rawRequest(`${proxy.url}/sticky/x`);
    servedBy(first);
    const setCookie = first.headers['set-cookie'];
    expect(setCookie).toHaveLength(1);
    const match = /^tg-sticky=([^;]+); Path=\/sticky(;|$)/.exec(setCookie![0]!);
    expect(match).not.toBeNull();
    const value = match![1]!;

    const names = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const res = await rawRequest(`${proxy.url}/sticky/${i}`, { headers: { cookie: `other=1; tg-sticky=${value}` } });
      names.add(servedBy(res));
      // A request that carries the cookie gets no new one.
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    expect(names.size).toBe(1);
    // The first request (cookie generated) was hashed on the value it was given.
    expect([...names][0]).toBe(first.headers['x-upstream']);

    // Every cookie-less client gets its own value.
    const second = await rawRequest(`${proxy.url}/sticky/y`);
    expect(second.headers['set-cookie']![0]).not.toContain(value);
  });

  it('least-connections sends new requests to the idle target while the other is busy', async () => {
    const releases: Array<() => void> = [];
    const slowAware = (name: string) => (req: IncomingMessage, res: ServerResponse) => {
      const reply = () => {
        res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': name });
        res.end(JSON.stringify({ server: name, url: req.url }));
      };
      if (req.url!.includes('/slow')) releases.push(reply);
      else reply();
    };
    a.handle(slowAware('a'));
    b.handle(slowAware('b'));
    try {
      const slow = rawRequest(`${proxy.url}/least/slow`);
      await waitFor(() => releases.length === 1, { what: 'the slow request to reach an upstream' });
      const busy = a.seen.at(-1)?.url === '/slow' ? 'a' : 'b';
      const idle = busy === 'a' ? 'b' : 'a';
      const names: string[] = [];
      for (let i = 0; i < 8; i++) names.push(servedBy(await rawRequest(`${proxy.url}/least/fast/${i}`)));
      expect(names).toEqual(Array(8).fill(idle));
      releases.shift()!();
      expect(servedBy(await slow)).toBe(busy);
      // With both idle again, traffic goes to both.
      const after: string[] = [];
      for (let i = 0; i < 4; i++) after.push(servedBy(await rawRequest(`${proxy.url}/least/fast/${i}`)));
      expect(new Set(after)).toEqual(new Set(['a', 'b']));
    } finally {
      for (const release of releases) release();
      const echo = (name: string) => (req: IncomingMessage, res: ServerResponse, body: string) => {
        res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': name });
        res.end(JSON.stringify({ server: name, method: req.method, url: req.url, headers: req.headers, body }));
      };
      a.handle(echo('a'));
      b.handle(echo('b'));
    }
  });
});

describe('a service whose hostname is still being resolved', () => {
  let up: Upstream;
  let proxy: ProxyHarness;
  let lookups = 0;
  beforeAll(async () => {
    up = await startUpstream('named');
    // A DNS server that takes 300 ms to answer.
    const resolver = {
      resolve: async (host: string) => {
        lookups++;
        await new Promise((resolve) => setTimeout(resolve, host === 'stuck.internal' ? 3000 : 300));
        if (host !== 'slow.internal') throw new Error(`${host}: not found`);
        return [{ address: '127.0.0.1', family: 4 as const, ttlSeconds: 60 }];
      },
    };
    proxy = await startProxy(undefined, { balancer: { resolver } });
  });
  afterAll(async () => {
    await proxy.close();
    await up.close();
  });

  it('waits for the first answer instead of answering 503 right after the config is applied', async () => {
    expect(proxy.apply({ _format_version: '3.0', services: [{ name: 'slow', url: `http://slow.internal:${up.port}`, routes: [{ paths: ['/slow'] }] }] }).ok).toBe(true);
    const res = await rawRequest(`${proxy.url}/slow/x`);
    expect(res.status).toBe(200);
    expect(res.headers['x-upstream']).toBe('named');
    expect(lookups).toBe(1);
  });

  it('waits no longer than the service’s connect_timeout', async () => {
    expect(proxy.apply({ _format_version: '3.0', services: [{ name: 'stuck', url: 'http://stuck.internal', connect_timeout: 200, routes: [{ paths: ['/stuck'] }] }] }).ok).toBe(true);
    const started = Date.now();
    expect((await rawRequest(`${proxy.url}/stuck/x`)).status).toBe(503);
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it("answers Kong's 503 \"name resolution failed\" once the first answer is a failure", async () => {
    expect(proxy.apply({ _format_version: '3.0', services: [{ name: 'nowhere', url: 'http://nowhere.internal', routes: [{ paths: ['/nowhere'] }] }] }).ok).toBe(true);
    const res = await rawRequest(`${proxy.url}/nowhere/x`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body)).toMatchObject({ message: 'name resolution failed' });
  });
});
