import { describe, expect, it } from 'vitest';
import { queryValue } from './hash-value.ts';
import { createUpstreamBalancer } from './upstream-balancer.ts';
import { healthchecks, input, targets, upstream } from './test-helpers.ts';
import type { Balancer, BalancerInput, TargetEntity, UpstreamEntity } from './types.ts';

const byHeader: Partial<UpstreamEntity> = { algorithm: 'consistent-hashing', hash_on: 'header', hash_on_header: 'X-Key' };
const four = (): TargetEntity[] => targets(['10.0.0.1:80', 100], ['10.0.0.2:80', 100], ['10.0.0.3:80', 100], ['10.0.0.4:80', 100]);
const keyed = (key: string): BalancerInput => input({ headers: { 'x-key': key } });
const keys = Array.from({ length: 5000 }, (_, i) => `key-${i}`);
const assign = (b: Balancer, make: (k: string) => BalancerInput = keyed) => keys.map((k) => b.pick(() => make(k))!.peer.address);
const moved = (a: string[], b: string[]) => a.filter((x, i) => x !== b[i]).length / a.length;

describe('consistent hashing', () => {
  it('keeps a key on the same peer across calls and across rebuilt balancers', () => {
    const first = assign(createUpstreamBalancer(upstream(byHeader), four()));
    const again = createUpstreamBalancer(upstream(byHeader), four().reverse());
    expect(assign(again)).toEqual(first);
    expect(assign(again)).toEqual(first);
    expect(new Set(first).size).toBe(4);
  });

  it('moves only about 1/N of the keys, all to the new target, when one is added', () => {
    const before = assign(createUpstreamBalancer(upstream(byHeader), four()));
    const after = assign(createUpstreamBalancer(upstream(byHeader), [...four(), ...targets(['10.0.0.5:80', 100])]));
    const share = moved(before, after);
    expect(share).toBeGreaterThan(0.1);
    expect(share).toBeLessThan(0.3); // ideal: 1/5
    const changed = after.filter((x, i) => x !== before[i]);
    expect(changed.every((x) => x === '10.0.0.5:80')).toBe(true);
  });

  it('moves (almost) only the removed target’s keys when one is removed', () => {
    const before = assign(createUpstreamBalancer(upstream(byHeader), four()));
    const after = assign(createUpstreamBalancer(upstream(byHeader), four().slice(1)));
    // A few points of the others shift: they had lost a ring position to the removed target and had
    // been given an extra point in compensation (Kong's collision rule), which now goes away.
    const stray = before.filter((peer, i) => peer !== '10.0.0.1:80' && after[i] !== peer).length;
    expect(stray / keys.length).toBeLessThan(0.03);
  });

  it('gives each target a share of the keys by weight', () => {
    const b = createUpstreamBalancer(upstream(byHeader), targets(['10.0.0.1:80', 200], ['10.0.0.2:80', 100]));
    const share = assign(b).filter((x) => x === '10.0.0.1:80').length / keys.length;
    expect(share).toBeGreaterThan(0.58);
    expect(share).toBeLessThan(0.75);
  });

  it('moves an unhealthy peer’s keys and keeps all others; retries go to the next peer on the ring', () => {
    const hc = healthchecks({ passive: { unhealthy: { http_failures: 1 } } });
    const b = createUpstreamBalancer(upstream({ ...byHeader, healthchecks: hc }), four());
    const before = assign(b);
    const retry = keys.map((k, i) => b.pick(() => keyed(k), new Set([before[i]!]))!.peer.address);
    b.setHealth('10.0.0.2:80', false);
    const after = assign(b);
    before.forEach((peer, i) => {
      if (peer !== '10.0.0.2:80') expect(after[i]).toBe(peer);
      else expect(after[i]).toBe(retry[i]); // the same successor the retry chose
    });
  });

  it('hashes the value each hash_on names: same value, same peer', () => {
    const reference = assign(createUpstreamBalancer(upstream(byHeader), four()));
    const cases: Array<[Partial<UpstreamEntity>, (k: string) => BalancerInput]> = [
      [{ hash_on: 'consumer' }, (k) => input({ consumerId: k })],
      [{ hash_on: 'ip' }, (k) => input({ clientIp: k })],
      [{ hash_on: 'path' }, (k) => input({ path: k })],
      [{ hash_on: 'query_arg', hash_on_query_arg: 'q' }, (k) => input({ query: `a=1&q=${encodeURIComponent(k)}` })],
      [{ hash_on: 'uri_capture', hash_on_uri_capture: 'id' }, (k) => input({ uriCaptures: { id: k } })],
      [{ hash_on: 'cookie', hash_on_cookie: 'sid' }, (k) => input({ headers: { cookie: `a=b; sid=${k}` } })],
      [{ hash_on: 'consumer', hash_fallback: 'header', hash_fallback_header: 'x-key' }, keyed],
    ];
    for (const [fields, make] of cases) {
      expect(assign(createUpstreamBalancer(upstream({ algorithm: 'consistent-hashing', ...fields }), four()), make)).toEqual(reference);
    }
  });

  it('falls back when the header, query arg or capture is absent, and hashes "" when the fallback is too', () => {
    const viaIp = assign(createUpstreamBalancer(upstream({ hash_on: 'ip' }), four()), (k) => input({ clientIp: k }));
    for (const fields of [byHeader, { hash_on: 'query_arg', hash_on_query_arg: 'q' }, { hash_on: 'uri_capture', hash_on_uri_capture: 'id' }] as const) {
      const b = createUpstreamBalancer(upstream({ ...fields, hash_fallback: 'ip' }), four());
      expect(assign(b, (k) => input({ clientIp: k }))).toEqual(viaIp);
    }
    const none = createUpstreamBalancer(upstream(byHeader), four());
    expect(new Set(assign(none, () => input())).size).toBe(1);
  });

  it('sends everything to one peer with consistent-hashing and hash_on none (Kong hashes "")', () => {
    const b = createUpstreamBalancer(upstream({ algorithm: 'consistent-hashing' }), four());
    expect(new Set(assign(b)).size).toBe(1);
  });

  it('normalises query args as Kong: decoded, bare flag is "true", repeats sorted and joined', () => {
    expect(queryValue('q=b&x=1&q=a%20c', 'q')).toBe('a c,b');
    expect(queryValue('flag&y=2', 'flag')).toBe('true');
    expect(queryValue('q=&z', 'q')).toBe('');
    expect(queryValue('q=%E0%A4%A', 'q')).toBe('%E0%A4%A');
    expect(queryValue('', 'q')).toBeUndefined();
  });

  it('generates a cookie when absent, sets it with the configured path, and keeps it per request', () => {
    const fields: Partial<UpstreamEntity> = { hash_on: 'cookie', hash_on_cookie: 'sid', hash_on_cookie_path: '/app' };
    const b = createUpstreamBalancer(upstream(fields), four());
    const request = input();
    const first = b.pick(() => request)!;
    expect(first.setCookie).toMatch(/^sid=[0-9a-f-]{36}; Path=\/app; SameSite=Lax; HttpOnly$/);
    const value = /^sid=([^;]+)/.exec(first.setCookie!)![1]!;
    // The same input on a retry keeps the same cookie.
    expect(b.pick(() => request, new Set([first.peer.address]))!.setCookie).toBe(first.setCookie);
    // The browser sends it back: same peer, nothing to set.
    const back = b.pick(() => input({ headers: { cookie: `sid=${value}` } }))!;
    expect(back.peer).toBe(first.peer);
    expect(back.setCookie).toBeUndefined();
    // Fresh requests get fresh cookies, spread over the peers.
    const peers = new Set(Array.from({ length: 200 }, () => b.pick(() => input())!.peer.address));
    expect(peers.size).toBe(4);
  });

  it('builds the input once per pick, and works on a tiny ring', () => {
    const b = createUpstreamBalancer(upstream({ ...byHeader, slots: 10 }), targets(['10.0.0.1:80', 1], ['10.0.0.2:80', 1], ['10.0.0.3:80', 1]));
    let built = 0;
    const peers = new Set(keys.slice(0, 300).map((k) => b.pick(() => (built++, keyed(k)))!.peer.address));
    expect(built).toBe(300);
    expect(peers.size).toBeGreaterThan(1);
  });
});
